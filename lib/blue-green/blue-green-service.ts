import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ContainerKeys } from '../api-keys';
import { BoopConnectionConfig, LoadBalancerConfig, NetworkConfig, ServiceConfig } from '../config/environment-config';
import { Slot, SLOTS } from '../../common/slots';
import { addListeners } from './listeners';
import { createLoadBalancer } from './load-balancer';
import { createNetwork, natAddresses } from './network';
import { bySlot, createSlot } from './slot';
import { addSlotHeaderRoutes } from './slot-header-routes';
import { createWebAcl } from './web-acl';
import { pointHostName } from './host-name';

export interface BlueGreenServiceProps {
  /** The environment's name; tags log groups and becomes part of names. */
  readonly envName: string;
  /** The guide's BOOP_ENV value for the containers. */
  readonly boopEnvironment: 'development' | 'production';
  /** How the service reaches BOOP; becomes the containers' BOOP_* variables. */
  readonly boop: BoopConnectionConfig;
  /** Size and logging of the two services, and the configured images (whose repositories the tasks may pull from). */
  readonly service: ServiceConfig;
  /** The image each slot runs: the BlueImage and GreenImage parameter values. */
  readonly images: Readonly<Record<Slot, string>>;
  /** The BOOP API keys both slots' containers receive. */
  readonly keys: ContainerKeys;
  /** Certificate, access logs and WAF of the load balancer. */
  readonly loadBalancer: LoadBalancerConfig;
  /** NAT gateways and, for pinned stacks, the zones. */
  readonly network: NetworkConfig;
  /** What happens to logs and access logs when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Two copies of the BOOP integration service, blue and green, behind one ALB whose default action
 * is a weighted forward that the template always keeps at blue 100 / green 0. Live weights are
 * written only by the traffic controller; `X-Boop-Slot: blue|green` reaches one slot directly, but
 * only from the stack's own NAT addresses and the configured tester CIDRs.
 */
export class BlueGreenService extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly cluster: ecs.Cluster;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** loadBalancer.hostName's alias record, when loadBalancer.hostedZone is set. */
  /** The listener whose default action carries the blue/green weights. */
  public readonly listener: elbv2.ApplicationListener;
  public readonly services: Readonly<Record<Slot, ecs.FargateService>>;
  public readonly targetGroups: Readonly<Record<Slot, elbv2.ApplicationTargetGroup>>;
  public readonly logGroups: Readonly<Record<Slot, logs.LogGroup>>;
  public readonly webAcl?: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: BlueGreenServiceProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // The parts are made in this order so that every construct keeps its id and place in the template.
    this.vpc = createNetwork(this, props.network, removalPolicy);
    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    this.loadBalancer = createLoadBalancer(this, this.vpc, props.loadBalancer);
    pointHostName(this, this.loadBalancer, props.loadBalancer);

    const slots = bySlot((slot) => createSlot(this, slot, { ...props, vpc: this.vpc, cluster: this.cluster, removalPolicy }));
    this.services = bySlot((slot) => slots[slot].service);
    this.targetGroups = bySlot((slot) => slots[slot].targetGroup);
    this.logGroups = bySlot((slot) => slots[slot].logGroup);

    this.listener = addListeners(this, this.loadBalancer, this.targetGroups, props.loadBalancer);
    addSlotHeaderRoutes(this.listener, this.targetGroups, [...natAddresses(this.vpc), ...props.loadBalancer.testerCidrs]);
    for (const slot of SLOTS) {
      this.services[slot].connections.allowFrom(this.loadBalancer, ec2.Port.tcp(props.service.containerPort), 'ALB to the slot');
    }
    if (props.loadBalancer.wafEnabled) this.webAcl = createWebAcl(this, this.loadBalancer, props.loadBalancer);
  }
}
