/** The health check's settings as the stack sets them: every variable read by its name from common/payloads, a bad one named. */
import { healthCheckEnvironment, HealthCheckSettingKey } from '../../common/payloads';
import { settingsFromEnvironment } from '../../lambda/health-check/settings';

const VALUES: Record<HealthCheckSettingKey, string> = {
  metricEnvironment: 'production',
  boopBaseUrl: 'https://app.boop.it',
  wsEndpoint: 'wss://app.boop.it/ws/vendor',
  vendorId: 'ven_live_settings_test',
  slotOrigin: 'https://boop-alb-123.eu-west-1.elb.amazonaws.com',
  slotHostName: 'boop.example.com',
  checkTimeoutMs: '5000',
  primaryKeyParameter: '/boop/prod/api-key/primary',
  secondaryKeyParameter: '/boop/prod/api-key/secondary',
  rotationDateParameter: '/boop/prod/api-key/rotation-date',
  keyRotationDate: '',
  keyRotationWarningDays: '7',
  cluster: 'boop-prod',
  greenService: 'arn:aws:ecs:eu-west-1:111122223333:service/boop-prod/boop-prod-green',
};

test('what the stack writes, the function reads back; an empty optional setting is none', () => {
  const settings = settingsFromEnvironment(healthCheckEnvironment(VALUES));
  expect(settings).toMatchObject({
    boopBaseUrl: VALUES.boopBaseUrl,
    slotTarget: { origin: VALUES.slotOrigin, hostName: VALUES.slotHostName },
    checkTimeoutMs: 5000,
    keyRotationWarningDays: 7,
    greenService: { cluster: VALUES.cluster, service: VALUES.greenService },
  });
  expect(settings.keyRotationDate).toBeUndefined();
});

test.each([
  ['vendorId', '', /BOOP_VENDOR_ID is not set/],
  ['checkTimeoutMs', 'soon', /CHECK_TIMEOUT_MS must be a number above 0/],
  ['wsEndpoint', 'https://app.boop.it/ws/vendor', /BOOP_WS_ENDPOINT must be a wss: or ws: URL/],
  ['slotOrigin', 'boop-alb-123.elb.amazonaws.com', /SLOT_ORIGIN must be a https: or http: URL/],
  ['greenService', '', /GREEN_SERVICE is not set/],
] as const)('%s = "%s" is refused, naming the variable', (key, value, message) => {
  expect(() => settingsFromEnvironment(healthCheckEnvironment({ ...VALUES, [key]: value }))).toThrow(message);
});
