/**
 * The AWS SDK v3 clients the actuator uses, one set per AWS region, built lazily. Credentials come
 * from the SDK's default provider chain (environment, shared config/credentials files and
 * AWS_PROFILE, SSO, web identity, ECS/EC2 instance roles) — nothing is read from the actuator's
 * own config. `endpoint` is only for an API emulator (moto, LocalStack): against real AWS leave it
 * out and each client takes its service's regional endpoint.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';

export interface AwsClients {
  autoScaling: AutoScalingClient;
  ec2: EC2Client;
  elb: ElasticLoadBalancingV2Client;
  rds: RDSClient;
}

export interface ClientSettings {
  endpoint?: string;
  maxAttempts: number;
}

export class AwsClientPool {
  private readonly regional = new Map<string, AwsClients>();
  private global: Route53Client | undefined;

  constructor(private readonly settings: ClientSettings) {}

  private config(region: string): { region: string; maxAttempts: number; endpoint?: string } {
    return {
      region,
      maxAttempts: this.settings.maxAttempts,
      ...(this.settings.endpoint ? { endpoint: this.settings.endpoint } : {}),
    };
  }

  in(region: string): AwsClients {
    let c = this.regional.get(region);
    if (!c) {
      const config = this.config(region);
      c = {
        autoScaling: new AutoScalingClient(config),
        ec2: new EC2Client(config),
        elb: new ElasticLoadBalancingV2Client(config),
        rds: new RDSClient(config),
      };
      this.regional.set(region, c);
    }
    return c;
  }

  /** Route 53 is a global service (its API lives in us-east-1). */
  route53(): Route53Client {
    this.global ??= new Route53Client(this.config('us-east-1'));
    return this.global;
  }

  close(): void {
    for (const c of this.regional.values()) {
      c.autoScaling.destroy();
      c.ec2.destroy();
      c.elb.destroy();
      c.rds.destroy();
    }
    this.regional.clear();
    this.global?.destroy();
    this.global = undefined;
  }
}
