/** Secrets Manager at the SDK boundary: a tiny store behind aws-sdk-client-mock. */
import { mockClient } from "aws-sdk-client-mock";
import { GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

export function fakeSecrets(initial: Record<string, string> = {}) {
  const store = new Map(Object.entries(initial));
  // Mocking this instance only, so several fakes can live side by side.
  const client = new SecretsManagerClient({ region: "eu-west-1" });
  const mock = mockClient(client);
  mock.on(GetSecretValueCommand).callsFake(({ SecretId }: { SecretId: string }) => {
    const value = store.get(SecretId);
    if (value === undefined) {
      throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT", $metadata: {} });
    }
    return { ARN: SecretId, SecretString: value };
  });
  mock.on(PutSecretValueCommand).callsFake(({ SecretId, SecretString }: { SecretId: string; SecretString: string }) => {
    store.set(SecretId, SecretString);
    return { ARN: SecretId };
  });
  return { store, mock, client, puts: () => mock.commandCalls(PutSecretValueCommand).length };
}
