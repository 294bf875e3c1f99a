/** Whether the listener's certificate exists, is issued, is in the stack's region and covers loadBalancer.hostName. */
import { DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { blocker, errorName, passed, PreflightCheck, warning } from './check';

/** True when a certificate name covers the host: the same name, or a wildcard standing for exactly its first label. */
export function nameCovers(certificateName: string, host: string): boolean {
  const name = certificateName.toLowerCase();
  const target = host.toLowerCase();
  if (name === target) return true;
  if (!name.startsWith('*.')) return false;
  const dot = target.indexOf('.');
  return dot > 0 && target.slice(dot + 1) === name.slice(2);
}

export const certificateCheck: PreflightCheck = {
  name: 'certificate',
  service: 'ACM',
  permissions: ['acm:DescribeCertificate'],
  run: async ({ region, facts, clients }, signal) => {
    const { certificateArn: arn, hostName } = facts.config.loadBalancer;
    if (!arn)
      return warning(
        'none configured: the load balancer listens on HTTP only',
        `set loadBalancer.certificateArn and loadBalancer.hostName in ${facts.configSource}`,
      );
    const request = `aws acm request-certificate --domain-name ${hostName ?? '<host name>'} --validation-method DNS --region ${region}`;
    const arnRegion = arn.split(':')[3];
    if (arnRegion !== region) {
      return blocker(
        `${arn} is in ${arnRegion}, the stack in ${region}: a load balancer takes certificates of its own region only`,
        `request one in ${region} (${request}), then set loadBalancer.certificateArn to it`,
      );
    }
    let certificate;
    try {
      certificate = (await clients.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }), { abortSignal: signal })).Certificate;
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
    }
    if (!certificate) return blocker(`${arn} does not exist in this account`, `${request}, then set loadBalancer.certificateArn to its ARN`);
    if (certificate.Status !== 'ISSUED') {
      const fix =
        certificate.Status === 'PENDING_VALIDATION'
          ? `create the DNS validation record it asks for (aws acm describe-certificate --certificate-arn ${arn} --region ${region} shows it), then wait for ISSUED`
          : `${request}, then set loadBalancer.certificateArn to the new one`;
      return blocker(`${arn} is ${certificate.Status ?? 'in an unknown state'}, not ISSUED`, fix);
    }
    const names = [...new Set([certificate.DomainName, ...(certificate.SubjectAlternativeNames ?? [])].filter((n): n is string => !!n))];
    if (hostName && !names.some((name) => nameCovers(name, hostName))) {
      return blocker(
        `${arn} is for ${names.join(', ')}, not ${hostName} (loadBalancer.hostName)`,
        `${request}, or set loadBalancer.hostName to a name it covers`,
      );
    }
    return passed(`issued for ${names.join(', ')}${hostName ? `, covers ${hostName}` : ''}, in ${region}`);
  },
};
