import { KeyParameterNames } from '../../common/keys/key-manager';
import { HEALTH_CHECK_VARIABLES, HealthCheckSettingKey } from '../../common/payloads';
import type { EcsService } from './green-service';
import type { SlotTarget } from './slot';

/** What one health-check run checks and how long each check may take, as the stack configured it. */
export interface HealthCheckSettings {
  /** The Environment dimension of Boop/HealthCheck metrics (BOOP_ENV). */
  readonly metricEnvironment: string;
  /** BOOP's REST base URL; the run GETs `<baseUrl>/health`. */
  readonly boopBaseUrl: string;
  /** The vendor WebSocket endpoint. */
  readonly wsEndpoint: string;
  /** The vendor id the WebSocket authenticates with. */
  readonly vendorId: string;
  /** Where the slot checks connect, and the name their TLS is verified against. */
  readonly slotTarget: SlotTarget;
  /** How long each check may take, ms. */
  readonly checkTimeoutMs: number;
  /** The key parameters in SSM. */
  readonly keyParameters: KeyParameterNames;
  /** boop.keyRotationDate, YYYY-MM-DD. @default no rotation configured */
  readonly keyRotationDate?: string;
  /** alarms.keyRotationWarningDays. */
  readonly keyRotationWarningDays: number;
  /** Green's ECS service: read each run, so a green scaled to zero after a rollback is not checked. */
  readonly greenService: EcsService;
}

/** Reads and checks the settings the stack set; a missing or malformed one is an error naming the variable. */
export function settingsFromEnvironment(env: NodeJS.ProcessEnv): HealthCheckSettings {
  const optional = (key: HealthCheckSettingKey): string | undefined => env[HEALTH_CHECK_VARIABLES[key]] || undefined;
  const read = (key: HealthCheckSettingKey): string => {
    const value = optional(key);
    if (value === undefined) throw new Error(`environment variable ${HEALTH_CHECK_VARIABLES[key]} is not set`);
    return value;
  };
  const url = (key: HealthCheckSettingKey, protocols: readonly string[]): string => {
    const value = read(key);
    if (!URL.canParse(value) || !protocols.includes(new URL(value).protocol))
      throw new Error(`environment variable ${HEALTH_CHECK_VARIABLES[key]} must be a ${protocols.join(' or ')} URL`);
    return value;
  };
  const positive = (key: HealthCheckSettingKey): number => {
    const value = Number(read(key));
    if (!Number.isFinite(value) || value <= 0) throw new Error(`environment variable ${HEALTH_CHECK_VARIABLES[key]} must be a number above 0`);
    return value;
  };
  return {
    metricEnvironment: read('metricEnvironment'),
    boopBaseUrl: url('boopBaseUrl', ['https:', 'http:']),
    wsEndpoint: url('wsEndpoint', ['wss:', 'ws:']),
    vendorId: read('vendorId'),
    slotTarget: { origin: url('slotOrigin', ['https:', 'http:']), hostName: optional('slotHostName') },
    checkTimeoutMs: positive('checkTimeoutMs'),
    keyParameters: { primary: read('primaryKeyParameter'), secondary: read('secondaryKeyParameter'), rotationDate: read('rotationDateParameter') },
    keyRotationDate: optional('keyRotationDate'),
    keyRotationWarningDays: positive('keyRotationWarningDays'),
    greenService: { cluster: read('cluster'), service: read('greenService') },
  };
}
