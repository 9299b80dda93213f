import type { PolicyDocument } from '../render-policy.js';

/**
 * The file system's resource policy. Without one, EFS lets any client that can reach a mount target mount,
 * write and act as root ("Default EFS file system policy",
 * https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html); any policy replaces that default.
 * This one allows nothing, so only an identity policy grants access (the task roles of the services that mount
 * a volume, through that volume's access point), and it refuses every connection without TLS.
 */
export function fileSystemPolicy(fileSystemArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyWithoutTls',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: '*',
        Resource: fileSystemArn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}

/**
 * What a service's task role needs to mount its volumes (https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html,
 * "Using IAM to enforce creating access points"): ClientMount (read), and ClientWrite unless every mount is
 * read-only, on the app's file system and only through these access points. Never ClientRootAccess.
 */
export function mountStatement(fileSystemArn: string, accessPointArns: string[], write: boolean): PolicyDocument['Statement'][number] {
  return {
    Sid: 'Volumes',
    Effect: 'Allow',
    Action: ['elasticfilesystem:ClientMount', ...(write ? ['elasticfilesystem:ClientWrite'] : [])],
    Resource: fileSystemArn,
    Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': accessPointArns.length === 1 ? accessPointArns[0]! : [...accessPointArns].sort() } },
  };
}
