import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/** Read the local stack's bookkeeping bucket directly (s3rver), as an operator would. */
export class Bucket {
  private readonly s3: S3Client;

  constructor(endpoint: string, private readonly bucket = 'sfdaq-bookkeeping') {
    this.s3 = new S3Client({ forcePathStyle: true, endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  }

  async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async json(key: string): Promise<any> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return JSON.parse(await out.Body!.transformToString());
  }

  close(): void {
    this.s3.destroy();
  }
}
