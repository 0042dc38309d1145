/**
 * Secrets Manager at the SDK boundary: a small store behind aws-sdk-client-mock that keeps versions and
 * staging labels the way Secrets Manager does (checked against moto_server in bootstrap-rotation.test.ts),
 * and can refuse chosen calls, as IAM or a deleted secret would.
 */
import { randomUUID } from "node:crypto";
import { mockClient } from "aws-sdk-client-mock";
import {
  GetSecretValueCommand, InvalidRequestException, PutSecretValueCommand, ResourceNotFoundException, SecretsManagerClient, UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";

interface Version {
  readonly value: string;
  readonly stages: Set<string>;
}

type Refusable = "PutSecretValue" | "UpdateSecretVersionStage";

export function fakeSecrets(initial: Record<string, string> = {}) {
  const secrets = new Map<string, Map<string, Version>>();
  const refusals = new Set<Refusable>();
  const versionsOf = (id: string) => secrets.get(id) ?? secrets.set(id, new Map()).get(id)!;
  const withStage = (id: string, stage: string) => [...versionsOf(id).entries()].find(([, v]) => v.stages.has(stage));
  const moveStage = (id: string, stage: string, toVersionId: string) => {
    for (const version of versionsOf(id).values()) version.stages.delete(stage);
    versionsOf(id).get(toVersionId)!.stages.add(stage);
  };
  const makeCurrent = (id: string, versionId: string) => {
    const previous = withStage(id, "AWSCURRENT");
    if (previous && previous[0] !== versionId) moveStage(id, "AWSPREVIOUS", previous[0]);
    moveStage(id, "AWSCURRENT", versionId);
  };
  const put = (id: string, value: string, stages: readonly string[] = ["AWSCURRENT"]): string => {
    const versionId = randomUUID();
    const first = versionsOf(id).size === 0;
    versionsOf(id).set(versionId, { value, stages: new Set() });
    for (const stage of stages) (stage === "AWSCURRENT" ? makeCurrent(id, versionId) : moveStage(id, stage, versionId));
    // Secrets Manager labels a secret's first version AWSCURRENT whatever the call asked for.
    if (first) makeCurrent(id, versionId);
    return versionId;
  };
  for (const [id, value] of Object.entries(initial)) put(id, value);

  const client = new SecretsManagerClient({ region: "eu-west-1" });
  // Mocking this instance only, so several fakes can live side by side.
  const mock = mockClient(client);
  const refuse = (operation: Refusable) => {
    if (refusals.has(operation)) throw new InvalidRequestException({ message: `${operation} refused by the test`, $metadata: {} });
  };
  mock.on(GetSecretValueCommand).callsFake(({ SecretId, VersionStage = "AWSCURRENT" }: { SecretId: string; VersionStage?: string }) => {
    const found = withStage(SecretId, VersionStage);
    if (!found) throw new ResourceNotFoundException({ message: `Secrets Manager can't find the specified secret value for staging label: ${VersionStage}`, $metadata: {} });
    return { ARN: SecretId, VersionId: found[0], SecretString: found[1].value, VersionStages: [...found[1].stages] };
  });
  mock.on(PutSecretValueCommand).callsFake(({ SecretId, SecretString, VersionStages }: { SecretId: string; SecretString: string; VersionStages?: string[] }) => {
    refuse("PutSecretValue");
    const versionId = put(SecretId, SecretString, VersionStages);
    return { ARN: SecretId, VersionId: versionId, VersionStages: [...versionsOf(SecretId).get(versionId)!.stages] };
  });
  mock.on(UpdateSecretVersionStageCommand).callsFake((input: { SecretId: string; VersionStage: string; MoveToVersionId?: string; RemoveFromVersionId?: string }) => {
    refuse("UpdateSecretVersionStage");
    const versions = versionsOf(input.SecretId);
    const holder = withStage(input.SecretId, input.VersionStage);
    if (input.RemoveFromVersionId && holder?.[0] !== input.RemoveFromVersionId) {
      throw new InvalidRequestException({ message: `${input.VersionStage} is not on version ${input.RemoveFromVersionId}`, $metadata: {} });
    }
    if (input.MoveToVersionId) {
      if (!versions.has(input.MoveToVersionId)) throw new ResourceNotFoundException({ message: "no such version", $metadata: {} });
      if (input.VersionStage === "AWSCURRENT") makeCurrent(input.SecretId, input.MoveToVersionId);
      else moveStage(input.SecretId, input.VersionStage, input.MoveToVersionId);
    } else if (input.RemoveFromVersionId) {
      versions.get(input.RemoveFromVersionId)!.stages.delete(input.VersionStage);
    }
    return { ARN: input.SecretId };
  });

  return {
    /** The AWSCURRENT value of each secret; `set` writes a new current version, as a person or another tool would. */
    store: {
      get: (id: string): string | undefined => withStage(id, "AWSCURRENT")?.[1].value,
      set: (id: string, value: string) => void put(id, value),
    },
    /** The value labelled `stage`, e.g. AWSPENDING. */
    stage: (id: string, stage: string): string | undefined => withStage(id, stage)?.[1].value,
    /** Labels per version, for asserting where AWSCURRENT, AWSPENDING and AWSPREVIOUS ended up. */
    labels: (id: string): string[][] => [...versionsOf(id).values()].map((v) => [...v.stages].sort()).filter((s) => s.length > 0),
    refuse: (operation: Refusable) => void refusals.add(operation),
    allow: (operation: Refusable) => void refusals.delete(operation),
    mock,
    client,
    /** Writes so far (PutSecretValue and UpdateSecretVersionStage). */
    puts: () => mock.commandCalls(PutSecretValueCommand).length + mock.commandCalls(UpdateSecretVersionStageCommand).length,
  };
}
