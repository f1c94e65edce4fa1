// Micro benchmark: URL path → relative file path (percent-decoding, dot segments, dotfile rules).
// `node bench/micro/resolve-path.ts`

import { resolvePath } from "../../src/static/resolve.ts";
import { measure } from "./measure.ts";

const paths = [
  "/1k.txt",
  "/assets/js/app.min.js",
  "/docs/a%20file%20name.html",
  "/a/./b/../c/index.html",
  "/.well-known/security.txt",
];
for (const p of paths) measure(`resolvePath ${p}`, () => resolvePath(p, { dotfiles: false }));
