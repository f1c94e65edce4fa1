// Policy name → policy instance. The only file that knows every policy; the proxy sees BalancePolicy.

import { HashPolicy } from "./hash.ts";
import { LeastConnPolicy } from "./least-conn.ts";
import { PowerOfTwoPolicy } from "./p2c.ts";
import type { BalancePolicy, PolicyName, PolicyOptions } from "./policy.ts";
import { RoundRobinPolicy } from "./round-robin.ts";
import { WeightedPolicy } from "./weighted.ts";

export function createPolicy(name: PolicyName, options: PolicyOptions): BalancePolicy {
  switch (name) {
    case "least-conn":
      return new LeastConnPolicy(options);
    case "round-robin":
      return new RoundRobinPolicy(options);
    case "weighted":
      return new WeightedPolicy(options);
    case "p2c":
      return new PowerOfTwoPolicy(options);
    case "hash":
      return new HashPolicy(options);
  }
}
