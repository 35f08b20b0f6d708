/**
 * The Docker path of the integration setup: the same services as the local stack, as containers.
 * Used only when a Docker engine is reachable (not on the CI machines, which have none).
 */
import { KafkaContainer } from '@testcontainers/kafka';
import { GenericContainer, Network, Wait } from 'testcontainers';

export interface ContainerStack {
  env: Record<string, string>;
  stop(): Promise<void>;
}

const KAFKA_IMAGE = 'apache/kafka:4.1.1';
const REGISTRY_IMAGE = 'apicurio/apicurio-registry-kafkasql:2.4.2.Final';

export async function startContainers(): Promise<ContainerStack> {
  const network = await new Network().start();
  const kafka = await new KafkaContainer(KAFKA_IMAGE)
    .withKraft()
    .withNetwork(network)
    .withNetworkAliases('kafka')
    .start();
  const registry = await new GenericContainer(REGISTRY_IMAGE)
    .withNetwork(network)
    .withExposedPorts(8080)
    .withEnvironment({ KAFKA_BOOTSTRAP_SERVERS: 'kafka:9092' })
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
    .start();
  return {
    env: {
      KAFKA_BROKERS: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
      SCHEMA_REGISTRY_URL: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
    },
    async stop() {
      await registry.stop();
      await kafka.stop();
      await network.stop();
    },
  };
}
