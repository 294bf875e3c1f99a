/**
 * The keys CLI's SSM calls over the wire: a moto server (an AWS API emulator in Python; `npm run
 * test:aws` checks that it is installed) on 127.0.0.1 stands in for SSM and CloudFormation, and the
 * real SDK clients reach it through their endpoint. What the in-memory world of the unit tests
 * assumes about PutParameter, DescribeParameters, GetParameters and DeleteParameter is checked here
 * against an implementation of the API: SecureString written, an overwrite makes a new version, a
 * refused put writes nothing, check reads the parameters back without a value, promote's two stages.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ECSClient } from '@aws-sdk/client-ecs';
import { DeleteParameterCommand, DescribeParametersCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CliError } from '../../cli/errors';
import { KeySettings, KeysClients, runKeysCli } from '../../cli/keys';
import { AWS_MANAGED_SSM_KEY } from '../../common/keys/api-keys';
import { BUILT_IN_ENVIRONMENTS, environmentNames } from '../../common/names';
import { fakeKey } from '../keys/key-world';
import { MotoServer, startMoto } from './moto';

const REGION = 'eu-west-1';
const ENV = 'prod';
/** The BOOP environment ENV talks to, as every project declares it. */
const BOOP = BUILT_IN_ENVIRONMENTS[ENV];
const names = environmentNames(ENV);
jest.setTimeout(120_000);

let moto: MotoServer;
let clients: KeysClients;
let ssm: SSMClient;

beforeAll(async () => {
  moto = await startMoto();
  const config = moto.clientConfig(REGION);
  ssm = new SSMClient(config);
  clients = { cloudformation: new CloudFormationClient(config), ssm, ecs: new ECSClient(config) };
});

// Each test starts from an empty account.
beforeEach(() => moto.reset());

afterAll(() => moto?.stop());

/** Runs the CLI against moto with `stdin` as the piped key; its printed lines, or its failure. */
async function keys(argv: readonly string[], stdin = '', settings: KeySettings = {}, now = new Date()): Promise<{ output: string; error?: Error }> {
  const lines: string[] = [];
  try {
    await runKeysCli(argv, clients, {
      out: (line) => lines.push(line),
      now: () => now,
      sleep: async () => undefined,
      readKey: async () => stdin,
      keySettings: () => settings,
    });
    return { output: lines.join('\n') };
  } catch (error) {
    return { output: lines.join('\n'), error: error as Error };
  }
}

async function stored(name: string) {
  const described = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }] }));
  const value = await ssm
    .send(new GetParameterCommand({ Name: name, WithDecryption: true }))
    .then((answer) => answer.Parameter?.Value)
    .catch(() => undefined);
  return { metadata: described.Parameters?.[0], value };
}

test('put writes a SecureString with the AWS-managed key, and an overwrite makes a new version', async () => {
  const first = fakeKey(BOOP, 'a');
  const second = fakeKey(BOOP, 'b');
  expect((await keys(['put', '--env', ENV, '--slot', 'primary'], first)).error).toBeUndefined();
  let primary = await stored(names.parameters.primaryApiKey);
  expect(primary.metadata).toMatchObject({ Type: 'SecureString', KeyId: AWS_MANAGED_SSM_KEY, Version: 1 });
  expect(primary.value).toBe(first);

  const run = await keys(['put', '--env', ENV, '--slot', 'primary'], second);
  expect(run.error).toBeUndefined();
  expect(run.output).toMatch(/version 2\)/);
  primary = await stored(names.parameters.primaryApiKey);
  expect(primary.metadata).toMatchObject({ Type: 'SecureString', Version: 2 });
  expect(primary.value).toBe(second);
});

test('a refused put writes nothing: no new parameter, no new version', async () => {
  const kept = fakeKey(BOOP, 'a');
  expect((await keys(['put', '--env', ENV, '--slot', 'primary'], kept)).error).toBeUndefined();
  for (const refused of ['', '   ', fakeKey('development', 'x'), `${fakeKey(BOOP, 'c')} ${fakeKey(BOOP, 'd')}`]) {
    for (const slot of ['primary', 'secondary']) {
      const run = await keys(['put', '--env', ENV, '--slot', slot], refused);
      expect(run.error).toBeInstanceOf(CliError);
      expect(run.error?.message).toMatch(/nothing was written$/);
    }
  }
  const primary = await stored(names.parameters.primaryApiKey);
  expect(primary.metadata?.Version).toBe(1);
  expect(primary.value).toBe(kept);
  expect((await stored(names.parameters.secondaryApiKey)).metadata).toBeUndefined();
});

test('moto lets an overwrite turn a String into a SecureString (no delete needed: the version goes on)', async () => {
  // AWS may answer HierarchyTypeMismatchException instead; put then deletes and writes again (keys.test.ts).
  await ssm.send(new PutParameterCommand({ Name: names.parameters.secondaryApiKey, Type: 'String', Value: fakeKey(BOOP, 'o') }));
  expect((await keys(['put', '--env', ENV, '--slot', 'secondary'], fakeKey(BOOP, 'n'))).error).toBeUndefined();
  const secondary = await stored(names.parameters.secondaryApiKey);
  expect(secondary.metadata).toMatchObject({ Type: 'SecureString', KeyId: AWS_MANAGED_SSM_KEY, Version: 2 });
  expect(secondary.value).toBe(fakeKey(BOOP, 'n'));
});

test('check reads the parameters back, with the stack not deployed, and prints no value', async () => {
  const key = fakeKey(BOOP, 'a');
  await keys(['put', '--env', ENV, '--slot', 'primary'], key);
  await keys(['put', '--env', ENV, '--slot', 'primary'], key);
  const run = await keys(['check', '--env', ENV]);
  expect(run.error).toBeUndefined();
  expect(run.output).toMatch(
    new RegExp(`${names.parameters.primaryApiKey.replace(/\//g, '\\/')} +yes +SecureString +alias\\/aws\\/ssm +\\S+Z \\(version 2\\)`),
  );
  expect(run.output).toMatch(new RegExp(`${names.parameters.secondaryApiKey.replace(/\//g, '\\/')} +no`));
  expect(run.output).toMatch(/BoopIntegration-prod, not deployed/);
  expect(run.output).not.toContain(key.slice(8));
});

test('promote copies the secondary into the primary from the rotation date, then deletes it once the date is gone', async () => {
  const oldKey = fakeKey(BOOP, 'a');
  const newKey = fakeKey(BOOP, 'b');
  await keys(['put', '--env', ENV, '--slot', 'primary'], oldKey);
  await keys(['put', '--env', ENV, '--slot', 'secondary'], newKey);
  // The stack's rotation-date parameter, as a deploy with boop.keyRotationDate writes it.
  await ssm.send(new PutParameterCommand({ Name: names.parameters.keyRotationDate, Type: 'String', Value: '2026-11-20' }));
  const now = new Date('2026-11-21T12:00:00Z');

  const promoted = await keys(['promote', '--env', ENV], '', {}, now);
  expect(promoted.error).toBeUndefined();
  expect((await stored(names.parameters.primaryApiKey)).value).toBe(newKey);
  expect(promoted.output).not.toContain(newKey.slice(8));

  const kept = await keys(['promote', '--env', ENV], '', { rotationDate: '2026-11-20' }, now);
  expect(kept.output).toMatch(/nothing was changed/);
  expect((await stored(names.parameters.secondaryApiKey)).value).toBe(newKey);

  await ssm.send(new DeleteParameterCommand({ Name: names.parameters.keyRotationDate }));
  const finished = await keys(['promote', '--env', ENV], '', {}, now);
  expect(finished.error).toBeUndefined();
  expect(finished.output).toMatch(/deleted \/boop\/prod\/api-key\/secondary/);
  expect((await stored(names.parameters.secondaryApiKey)).metadata).toBeUndefined();
  expect((await stored(names.parameters.primaryApiKey)).value).toBe(newKey);
});
