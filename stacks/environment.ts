import type { Construct, IConstruct } from "constructs";
import { Annotations, Aspects } from "cdktf";
import { computeBudget, maxConnections, UNRESERVED_LAMBDA_CONCURRENCY, type Budget, type ClientDemand } from "../modules/budget.ts";
import { PolicyAspect } from "../modules/policy/aspect.ts";
import { suppressRule } from "../modules/policy/suppressions.ts";
import { ClientsStack } from "./clients-stack.ts";
import type { EnvironmentConfig } from "./config.ts";
import { DatabaseStack } from "./database-stack.ts";
import { EcsTaskdefStack } from "./ecs-taskdef-stack.ts";
import { IamStack } from "./iam-stack.ts";
import type { LayerStack } from "./layer-stack.ts";
import { MonitoringStack } from "./monitoring-stack.ts";
import { NetworkStack } from "./network-stack.ts";
import { ProxyStack } from "./proxy-stack.ts";

/**
 * One environment: its layered stacks, built in dependency order (network -> database -> proxy -> iam ->
 * ecs-taskdef / clients -> monitoring; references only ever point upstream), and what spans the layers: the policy
 * findings, the suppressions and the connection budget.
 */
export class Environment {
  readonly name: string;
  readonly network: NetworkStack;
  readonly database: DatabaseStack;
  readonly proxy: ProxyStack;
  /** Only when the environment has clients. */
  readonly iam?: IamStack;
  readonly ecsTaskdef?: EcsTaskdefStack;
  readonly clients?: ClientsStack;
  readonly monitoring: MonitoringStack;
  /** Every stack of the environment, in the order they are applied. */
  readonly stacks: readonly LayerStack[];
  /** Findings of the policy pack over every stack, filled in during synth. */
  readonly policy: PolicyAspect;
  readonly budget: Budget;

  constructor(scope: Construct, config: EnvironmentConfig) {
    this.name = config.name;
    const { ecs, lambda, migrations } = config.clients;
    this.network = new NetworkStack(scope, config);
    this.database = new DatabaseStack(scope, config, { network: this.network });
    this.proxy = new ProxyStack(scope, config, { network: this.network, database: this.database });
    const stacks: LayerStack[] = [this.network, this.database, this.proxy];
    if (ecs || lambda || migrations) {
      const iam = new IamStack(scope, config, { network: this.network, database: this.database, proxy: this.proxy });
      this.iam = iam;
      stacks.push(iam);
      if (ecs && iam.service) {
        this.ecsTaskdef = new EcsTaskdefStack(scope, config, ecs, { database: this.database, identity: iam.service });
        stacks.push(this.ecsTaskdef);
      }
      if (lambda || migrations) {
        this.clients = new ClientsStack(scope, config, { network: this.network, database: this.database, proxy: this.proxy, iam });
        stacks.push(this.clients);
      }
    }
    const budget = this.connectionBudget(config);
    this.monitoring = new MonitoringStack(scope, config, { database: this.database, proxy: this.proxy, ...(this.clients ? { clients: this.clients } : {}) }, budget);
    stacks.push(this.monitoring);
    const alarms = this.monitoring.alarms.names;
    this.budget = { ...budget, watchedBy: { warning: alarms["proxy-pool-use-warning"]!, error: alarms["proxy-pool-use-error"]!, ...(alarms["proxy-client-connections"] ? { demand: alarms["proxy-client-connections"] } : {}) } };
    this.stacks = stacks;

    this.policy = new PolicyAspect(config.production);
    for (const stack of stacks) Aspects.of(stack).add(this.policy);
    for (const suppression of config.policySuppressions) {
      for (const stack of stacks) {
        const target = stack.node.tryFindChild(suppression.construct);
        if (target) suppressRule(target as IConstruct, suppression.rule, suppression.reason);
      }
    }
  }

  /** Supply of the proxy against what the configured clients may open at once; errors fail the synth. */
  private connectionBudget(config: EnvironmentConfig): Budget {
    const { ecs, lambda, migrations } = config.clients;
    const demand: ClientDemand[] = [];
    if (ecs) {
      const pool = ecs.connections?.poolSize ?? 10;
      const tasks = ecs.connections?.maxTasks ?? 2;
      demand.push({ client: "ecs service", connections: pool * tasks, basis: `pool ${pool} × ${tasks} tasks` });
    }
    if (lambda) {
      const concurrency = lambda.reservedConcurrency ?? UNRESERVED_LAMBDA_CONCURRENCY;
      demand.push({ client: "lambda", connections: concurrency, basis: lambda.reservedConcurrency ? `reserved concurrency ${concurrency}` : `unreserved: up to the account's ${concurrency}` });
    }
    if (migrations) demand.push({ client: "migrations", connections: 1, basis: "one job, pool of 1" });
    const max = maxConnections(config.database.engine, config.database.instanceClass, config.database.serverless?.maxCapacity, config.database.maxConnections);
    const budget = computeBudget(max, config.proxy.pool.maxConnectionsPercent, demand);
    const summary = `connection budget: demand ${budget.totalDemand} of ${budget.supply} connections (${Math.round(budget.utilisation * 100)} %; max_connections ${max.value} × ${budget.maxConnectionsPercent} %)`;
    const proxy = this.proxy.proxy;
    if (budget.status === "error") Annotations.of(proxy).addError(`${summary} — the clients can exhaust the database: lower pool sizes, task counts or Lambda concurrency, or raise the capacity`);
    else if (budget.status === "warning") Annotations.of(proxy).addWarning(`${summary} — above 80 %`);
    return budget;
  }
}
