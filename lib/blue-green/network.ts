import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { NetworkConfig } from '../config/environment-config';

const VPC_CIDR_MASK = 24;
/** Construct id CDK's Vpc gives the Elastic IP it creates beside each NAT gateway in a public subnet (PublicSubnet.addNatGateway). */
const NAT_EIP_ID = 'EIP';

/**
 * The network the slots run in: public subnets for the load balancer and the NAT gateways, private
 * ones with egress for the tasks, and every flow in the flow logs.
 */
export function createNetwork(scope: Construct, network: NetworkConfig, removalPolicy: RemovalPolicy): ec2.Vpc {
  const flowLogs = new logs.LogGroup(scope, 'VpcFlowLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy });
  return new ec2.Vpc(scope, 'Vpc', {
    // Given zones avoid a lookup when the stack is pinned to an account; otherwise Fn::GetAZs picks two.
    ...(network.availabilityZones ? { availabilityZones: [...network.availabilityZones] } : { maxAzs: 2 }),
    natGateways: network.natGateways,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: VPC_CIDR_MASK },
      { name: 'service', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: VPC_CIDR_MASK },
    ],
    flowLogs: { all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL } },
  });
}

/** The public addresses the tasks reach the internet from, as /32 CIDRs (`Ref` of an EIP is its address). */
export function natAddresses(vpc: ec2.Vpc): string[] {
  return vpc.publicSubnets
    .map((subnet) => subnet.node.tryFindChild(NAT_EIP_ID))
    .filter((eip): eip is ec2.CfnEIP => eip instanceof ec2.CfnEIP)
    .map((eip) => `${eip.ref}/32`);
}
