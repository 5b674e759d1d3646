export {
  startKmsTestEndpoint,
  type KmsFault,
  type KmsTestEndpoint,
  type KmsTestEndpointOptions,
  type KmsTestKey,
} from "./start-kms-test-endpoint.js";
