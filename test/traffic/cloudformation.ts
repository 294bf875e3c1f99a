/**
 * A stand-in for CloudFormation's side of a custom resource: a real HTTP server on 127.0.0.1 that
 * receives the controller's PUT to the response URL, and builders for the events CloudFormation sends.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

export interface ReceivedResponse {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: { Status: string; Reason: string; PhysicalResourceId: string; RequestId: string; StackId: string; LogicalResourceId: string; Data: Record<string, string> };
}

export class ResponseServer {
  readonly received: ReceivedResponse[] = [];
  /** Status codes to answer with, first come first served; then 200. */
  readonly answers: number[] = [];
  private server?: http.Server;
  private port = 0;

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => { body += chunk; });
      request.on('end', () => {
        const status = this.answers.shift() ?? 200;
        if (status === 200) this.received.push({ path: request.url ?? '', contentType: request.headers['content-type'], body: JSON.parse(body) });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  url(requestId: string): string {
    return `http://127.0.0.1:${this.port}/cloudformation-response/${requestId}`;
  }
}

let requests = 0;

/** A custom resource event as CloudFormation sends it for the traffic weights. */
export function customResourceEvent(
  server: ResponseServer,
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, string>,
  oldProperties?: Record<string, string>,
): CloudFormationCustomResourceEvent {
  const requestId = `request-${++requests}`;
  const base = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:boop-prod-traffic-controller',
    ResponseURL: server.url(requestId),
    StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/BoopIntegration-prod/guid',
    RequestId: requestId,
    LogicalResourceId: 'TrafficControlWeights',
    ResourceType: 'Custom::BoopTrafficWeights',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:boop-prod-traffic-controller', ...properties },
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  if (requestType === 'Update') {
    return { ...base, RequestType: 'Update', PhysicalResourceId: 'boop-traffic-weights', OldResourceProperties: { ServiceToken: base.ServiceToken, ...(oldProperties ?? {}) } };
  }
  return { ...base, RequestType: 'Delete', PhysicalResourceId: 'boop-traffic-weights' };
}
