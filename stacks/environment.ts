import type { Construct, IConstruct } from "constructs";
import { Annotations, Aspects } from "cdktf";
import { computeBudget, maxConnections, UNRESERVED_LAMBDA_CONCURRENCY, type Budget, type ClientDemand, type ReaderSupply } from "../modules/budget.ts";
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
    const { services = {}, functions = {}, migrations } = config.clients;
    const hasServices = Object.keys(services).length > 0;
    const hasFunctions = Object.keys(functions).length > 0;
    this.network = new NetworkStack(scope, config);
    this.database = new DatabaseStack(scope, config, { network: this.network });
    this.proxy = new ProxyStack(scope, config, { network: this.network, database: this.database });
    const stacks: LayerStack[] = [this.network, this.database, this.proxy];
    if (hasServices || hasFunctions || migrations) {
      const iam = new IamStack(scope, config, { network: this.network, database: this.database, proxy: this.proxy });
      this.iam = iam;
      stacks.push(iam);
      if (hasServices) {
        this.ecsTaskdef = new EcsTaskdefStack(scope, config, services, { database: this.database, identities: iam.services });
        stacks.push(this.ecsTaskdef);
      }
      if (hasFunctions || migrations) {
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

  /**
   * What the proxy may open to the readers, for the most readers there can be: Terraform's (each with its
   * own class) and those Auto Scaling may add (the writer's class, which AWS gives them).
   */
  private readerSupply(config: EnvironmentConfig): ReaderSupply | undefined {
    const d = config.database;
    if (d.readers === 0 || d.serverless) return undefined;
    const percent = config.proxy.pool.maxConnectionsPercent;
    const each = (instanceClass: string) => Math.floor((maxConnections(d.engine, instanceClass, undefined, d.maxConnections).value * percent) / 100);
    const classes = [
      ...Array.from({ length: d.readers }, (_, i) => d.readerInstances[i]?.instanceClass ?? d.instanceClass),
      ...Array.from({ length: (d.readerScaling?.max ?? d.readers) - d.readers }, () => d.instanceClass),
    ];
    const byClass = [...new Set(classes)].map((c) => `${classes.filter((x) => x === c).length} × ${each(c)} (${c})`);
    return { readers: classes.length, supply: classes.reduce((sum, c) => sum + each(c), 0), basis: byClass.join(" + ") };
  }

  /** Supply of the proxy against what the configured clients may open at once; errors fail the synth. */
  private connectionBudget(config: EnvironmentConfig): Budget {
    const { services = {}, functions = {}, migrations } = config.clients;
    const demand: ClientDemand[] = [];
    for (const [name, service] of Object.entries(services)) {
      const pool = service.connections?.poolSize ?? 10;
      const tasks = service.connections?.maxTasks ?? 2;
      demand.push({ client: `service ${name}`, connections: pool * tasks, basis: `pool ${pool} × ${tasks} tasks, as ${service.user}` });
    }
    for (const [name, fn] of Object.entries(functions)) {
      const concurrency = fn.reservedConcurrency ?? UNRESERVED_LAMBDA_CONCURRENCY;
      demand.push({ client: `function ${name}`, connections: concurrency,
        basis: `${fn.reservedConcurrency ? `reserved concurrency ${concurrency}` : `unreserved: up to the account's ${concurrency}`}, as ${fn.user}` });
    }
    if (migrations) demand.push({ client: "migrations", connections: 1, basis: `one job, pool of 1, as ${migrations.user}` });
    const max = maxConnections(config.database.engine, config.database.instanceClass, config.database.serverless?.maxCapacity, config.database.maxConnections);
    const budget = computeBudget(max, config.proxy.pool.maxConnectionsPercent, demand, this.readerSupply(config));
    const summary = `connection budget: demand ${budget.totalDemand} of ${budget.supply} connections (${Math.round(budget.utilisation * 100)} %; max_connections ${max.value} × ${budget.maxConnectionsPercent} %)`;
    const proxy = this.proxy.proxy;
    // One client that alone could take every connection is named, whatever the others ask for.
    for (const client of budget.demand.filter((d) => d.connections > budget.supply)) {
      Annotations.of(proxy).addError(`connection budget: ${client.client} alone may open ${client.connections} connections (${client.basis}), more than the ${budget.supply} the proxy may open — lower its pool, tasks or concurrency`);
    }
    if (budget.status === "error") Annotations.of(proxy).addError(`${summary} — the clients can exhaust the database: lower pool sizes, task counts or Lambda concurrency, or raise the capacity`);
    else if (budget.status === "warning") Annotations.of(proxy).addWarning(`${summary} — above 80 %`);
    return budget;
  }
}
