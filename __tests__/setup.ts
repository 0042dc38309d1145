import { testingMatchers } from "cdktf";
import { expect } from "vitest";

type Constructor = { readonly tfResourceType: string };

// cdktf ships jest adapters only; its matcher functions work under vitest through expect.extend.
// The default evaluation matches objects partially at every depth and accepts camelCase or snake_case keys.
const resourceMatcher = testingMatchers.getToHaveResourceWithProperties();
const dataSourceMatcher = testingMatchers.getToHaveDataSourceWithProperties();
const providerMatcher = testingMatchers.getToHaveProviderWithProperties();

expect.extend({
  toHaveResource(received: string, type: Constructor) {
    return testingMatchers.returnMatcherToJest(resourceMatcher(received, type, {}));
  },
  toHaveResourceWithProperties(received: string, type: Constructor, properties: Record<string, unknown>) {
    return testingMatchers.returnMatcherToJest(resourceMatcher(received, type, properties));
  },
  toHaveDataSource(received: string, type: Constructor) {
    return testingMatchers.returnMatcherToJest(dataSourceMatcher(received, type, {}));
  },
  toHaveDataSourceWithProperties(received: string, type: Constructor, properties: Record<string, unknown>) {
    return testingMatchers.returnMatcherToJest(dataSourceMatcher(received, type, properties));
  },
  toHaveProviderWithProperties(received: string, type: Constructor, properties: Record<string, unknown>) {
    return testingMatchers.returnMatcherToJest(providerMatcher(received, type, properties));
  },
});

interface CdktfMatchers<R = unknown> {
  toHaveResource(type: Constructor): R;
  toHaveResourceWithProperties(type: Constructor, properties: Record<string, unknown>): R;
  toHaveDataSource(type: Constructor): R;
  toHaveDataSourceWithProperties(type: Constructor, properties: Record<string, unknown>): R;
  toHaveProviderWithProperties(type: Constructor, properties: Record<string, unknown>): R;
}

declare module "vitest" {
  interface Assertion<T> extends CdktfMatchers<T> {}
}
