import { Annotations } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { LoadBalancerConfig } from '../config/environment-config';
import { Slot, SLOTS } from '../../common/slots';
import { SECURITY_HEADERS } from '../guides';

/** The weights the template always carries: all traffic on blue (design: "Weights: one writer"). */
export const SAFE_WEIGHTS: Readonly<Record<Slot, number>> = { blue: 100, green: 0 };

const HTTPS_PORT = 443;
const HTTP_PORT = 80;

/**
 * The listener whose default action carries the blue/green weights, at SAFE_WEIGHTS in the template:
 * HTTPS with a redirect from HTTP, or without a certificate (dev only) a plain HTTP listener. Warnings
 * are attached to `scope`.
 */
export function addListeners(
  scope: Construct,
  loadBalancer: elbv2.ApplicationLoadBalancer,
  targetGroups: Readonly<Record<Slot, elbv2.IApplicationTargetGroup>>,
  config: LoadBalancerConfig,
): elbv2.ApplicationListener {
  const defaultAction = elbv2.ListenerAction.weightedForward(SLOTS.map((slot) => ({ targetGroup: targetGroups[slot], weight: SAFE_WEIGHTS[slot] })));
  if (!config.certificateArn) {
    Annotations.of(scope).addWarningV2(
      'boop:http-only',
      'No loadBalancer.certificateArn: the load balancer listens on plain HTTP only. Fine for a dev sandbox; set a certificate before real traffic.',
    );
    const listener = loadBalancer.addListener('HttpListener', { port: HTTP_PORT, protocol: elbv2.ApplicationProtocol.HTTP, defaultAction });
    // HSTS means nothing over plain HTTP (RFC 6797 section 8.1), so only the other two headers apply.
    setResponseHeaders(listener, false);
    return listener;
  }
  const listener = loadBalancer.addListener('HttpsListener', {
    port: HTTPS_PORT,
    protocol: elbv2.ApplicationProtocol.HTTPS,
    certificates: [elbv2.ListenerCertificate.fromArn(config.certificateArn)],
    // TLS 1.2 and 1.3 with hybrid post-quantum key exchange: what cdk.json's usePostQuantumTlsPolicy recommends.
    sslPolicy: elbv2.SslPolicy.TLS13_12_PQ,
    defaultAction,
  });
  setResponseHeaders(listener, true);
  loadBalancer.addListener('HttpRedirect', {
    port: HTTP_PORT,
    protocol: elbv2.ApplicationProtocol.HTTP,
    defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: String(HTTPS_PORT), permanent: true }),
  });
  return listener;
}

/** The environment guide's security headers, set by the ALB on every response (listener attributes). */
function setResponseHeaders(listener: elbv2.ApplicationListener, https: boolean): void {
  const cfn = listener.node.defaultChild as elbv2.CfnListener;
  cfn.listenerAttributes = [
    ...(https ? [{ key: 'routing.http.response.strict_transport_security.header_value', value: SECURITY_HEADERS.strictTransportSecurity }] : []),
    { key: 'routing.http.response.x_content_type_options.header_value', value: SECURITY_HEADERS.xContentTypeOptions },
    { key: 'routing.http.response.x_frame_options.header_value', value: SECURITY_HEADERS.xFrameOptions },
  ];
}
