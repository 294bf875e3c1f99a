/**
 * A stand-in for CloudFormation's side of a custom resource: a real HTTP server on 127.0.0.1 that
 * receives the controller's PUT to the response URL, and builders for the events CloudFormation sends.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { CustomResourceResult, respond } from '../../lambda/support/cloudformation-response';
import { PHYSICAL_RESOURCE_ID } from '../../lambda/traffic/custom-resource';
import { SETTINGS } from './fake-aws';

export interface ReceivedResponse {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: {
    Status: string;
    Reason: string;
    PhysicalResourceId: string;
    RequestId: string;
    StackId: string;
    LogicalResourceId: string;
    Data: Record<string, string>;
  };
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
      request.on('data', (chunk) => {
        body += chunk;
      });
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

  /** The controller's answer, sent by the real `respond` to this server in place of CloudFormation's bucket. */
  readonly respond = (event: CloudFormationCustomResourceEvent, result: CustomResourceResult): Promise<void> =>
    respond({ ...event, ResponseURL: this.url(event.RequestId) }, PHYSICAL_RESOURCE_ID, result);

  /** The last answer received. */
  last(): ReceivedResponse['body'] {
    return this.received[this.received.length - 1].body;
  }
}

/** A response URL of the shape CloudFormation sends (its bucket for the region, pre-signed). */
export function cloudFormationResponseUrl(requestId: string): string {
  return (
    `https://cloudformation-custom-resource-response-${SETTINGS.region.replace(/-/g, '')}.s3.${SETTINGS.region}.amazonaws.com/` +
    `${encodeURIComponent(SETTINGS.stackId)}%7CTrafficControlWeights%7C${requestId}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature=test`
  );
}

let requests = 0;

/** A custom resource event as CloudFormation sends it for the traffic weights. */
export function customResourceEvent(
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, string>,
  oldProperties?: Record<string, string>,
): CloudFormationCustomResourceEvent {
  const requestId = `request-${++requests}`;
  const base = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:boop-prod-traffic-controller',
    ResponseURL: cloudFormationResponseUrl(requestId),
    StackId: SETTINGS.stackId,
    RequestId: requestId,
    LogicalResourceId: 'TrafficControlWeights',
    ResourceType: 'Custom::BoopTrafficWeights',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:boop-prod-traffic-controller', ...properties },
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  if (requestType === 'Update') {
    return {
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: 'boop-traffic-weights',
      OldResourceProperties: { ServiceToken: base.ServiceToken, ...(oldProperties ?? {}) },
    };
  }
  return { ...base, RequestType: 'Delete', PhysicalResourceId: 'boop-traffic-weights' };
}
