// Finds the external tools the benchmark drives (wrk, nginx, taskset) and installs missing ones with
// apt-get when we are root; otherwise says clearly what to install. Also reads their versions.
// Not here: starting servers (servers.ts) or running load (wrk.ts).

import { execFileSync, spawn, spawnSync } from "node:child_process";

const APT_PACKAGES: Record<string, string> = {
  wrk: "wrk",
  nginx: "nginx-light",
  taskset: "util-linux",
  h2load: "nghttp2-client",
  caddy: "caddy",
  curl: "curl",
};

export function hasCommand(name: string): boolean {
  return (
    spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0 ||
    spawnSync("sh", ["-c", `test -x /usr/sbin/${name}`]).status === 0
  );
}

export function commandPath(name: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${name} || ls /usr/sbin/${name}`], { encoding: "utf8" });
  return found.stdout.trim().split("\n")[0] ?? name;
}

/** Ensures each tool exists; returns the names still missing (with a message printed for each). */
export function ensureTools(names: readonly string[], log: (line: string) => void): string[] {
  const missing = names.filter((n) => !hasCommand(n));
  if (missing.length === 0) return [];
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && hasCommand("apt-get")) {
    const packages = missing.map((n) => APT_PACKAGES[n] ?? n);
    log(`installing ${packages.join(", ")} with apt-get…`);
    spawnSync("apt-get", ["update"], { stdio: "ignore" });
    spawnSync("apt-get", ["install", "-y", "--no-install-recommends", ...packages], {
      stdio: "ignore",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  }
  const still = names.filter((n) => !hasCommand(n));
  for (const n of still) {
    log(`missing tool: ${n} — install it (Debian/Ubuntu: apt-get install ${APT_PACKAGES[n] ?? n}) and run again`);
  }
  return still;
}

export function toolVersion(command: string, args: readonly string[]): string {
  try {
    const out = spawnSync(command, args, { encoding: "utf8" });
    const text = `${out.stdout}${out.stderr}`.trim().split("\n")[0] ?? "";
    return text;
  } catch {
    return "unknown";
  }
}

export function machineSummary(): { cpu: string; cores: number; kernel: string; memory: string } {
  let cpu = "unknown";
  let memory = "unknown";
  try {
    const info = execFileSync("sh", ["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], { encoding: "utf8" });
    cpu = info.trim();
    const mem = execFileSync("sh", ["-c", "grep MemTotal /proc/meminfo | awk '{print $2}'"], { encoding: "utf8" });
    memory = `${(Number(mem.trim()) / 1024 / 1024).toFixed(1)} GiB`;
  } catch {
    // Not Linux: leave the defaults.
  }
  const kernel = execFileSync("uname", ["-sr"], { encoding: "utf8" }).trim();
  const cores = Number(execFileSync("nproc", { encoding: "utf8" }).trim());
  return { cpu, cores, kernel, memory };
}

/**
 * Runs `tool` pinned to `cpus` (taskset), collects stdout and stderr together and hands them to
 * `parse` once it exits 0; any other exit rejects with what it printed.
 */
export function runPinned<T>(cpus: string, tool: readonly string[], parse: (out: string) => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn("taskset", ["-c", cpus, ...tool], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`${tool[0]} exited with ${code}: ${out}`));
      else {
        try {
          resolve(parse(out));
        } catch (error) {
          reject(error);
        }
      }
    });
  });
}
