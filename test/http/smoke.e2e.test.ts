import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';

describe('gateway process', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('accepts a signed event and refuses its replay', async () => {
    const res = await gw.post('/v1/events');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { decision: string };
    expect(body.decision).toBe('allow');
  });
});
