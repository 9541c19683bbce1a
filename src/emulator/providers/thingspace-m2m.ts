/**
 * ThingSpace M2M (Software Management / Connectivity): session login and logout with
 * a 20-minute idle expiry, the device list with largestDeviceIdSeen paging, and the
 * account lock after five failed logins (docs/providers.md §1).
 */
import { randomBytes } from 'node:crypto';
import type { Ctx, Route } from '../http.js';
import { DEMO, type EmulatorState } from '../state.js';
import { requireBearer } from './common.js';
import { DEMO_DEVICES, m2mRecord } from './thingspace-devices.js';

export const SESSION_IDLE_MS = 20 * 60_000;
export const LOCK_AFTER = 5;

interface M2MSession {
  username: string;
  createdAt: number;
  lastUsedAt: number;
}

export interface M2MState {
  sessions: Map<string, M2MSession>;
  /** Consecutive failed logins of the demo account. */
  failedLogins: number;
  locked: boolean;
  /** Control: reject this many next logins as a wrong password (-1: until cleared). */
  rejectLogins: number;
  /** Devices per page of the device list (the real platform's is much larger; small here so paging shows). */
  pageSize: number;
}

export function m2mState(state: EmulatorState): M2MState {
  return state.extension<M2MState>('thingspace-m2m', () => ({
    sessions: new Map(),
    failedLogins: 0,
    locked: false,
    rejectLogins: 0,
    pageSize: 2,
  }));
}

function m2mError(ctx: Ctx, status: number, errorCode: string, errorMessage: string): void {
  ctx.json(status, { errorCode, errorMessage });
}

/** The live session of the request's VZ-M2M-Token, or answers "session expired" (400, errorCode SessionToken.Expired). */
function requireSession(ctx: Ctx): M2MSession | undefined {
  const m2m = m2mState(ctx.state);
  const header = ctx.req.headers['vz-m2m-token'];
  const token = typeof header === 'string' ? header : undefined;
  const session = token ? m2m.sessions.get(token) : undefined;
  if (token && session && Date.now() - session.lastUsedAt >= SESSION_IDLE_MS) m2m.sessions.delete(token);
  if (!token || !session || !m2m.sessions.has(token)) {
    m2mError(ctx, 400, 'SessionToken.Expired', 'The VZ-M2M-Token session token is expired or invalid; log in again');
    return undefined;
  }
  session.lastUsedAt = Date.now();
  return session;
}

function control(path: string, name: string, handler: Route['handler']): Route {
  return { method: 'POST', path, name: `control:${name}`, handler };
}

export const m2mRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/m2m/v1/session/login',
    name: 'login',
    handler: (ctx) => {
      if (!requireBearer(ctx, 'thingspace')) return;
      const m2m = m2mState(ctx.state);
      const { username, password } = ctx.body as { username?: unknown; password?: unknown };
      if (typeof username === 'string' && username) ctx.account = username;
      if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
        return m2mError(ctx, 400, 'REQUEST_FAILED.InvalidInput', 'username and password are required');
      }
      if (m2m.locked) {
        return m2mError(ctx, 400, 'UnifiedWebService.REQUEST_FAILED.AccountLocked', `the account is locked after ${LOCK_AFTER} failed logins`);
      }
      const forced = m2m.rejectLogins !== 0;
      if (m2m.rejectLogins > 0) m2m.rejectLogins--;
      if (forced || username !== DEMO.username || password !== DEMO.password) {
        m2m.failedLogins++;
        if (m2m.failedLogins >= LOCK_AFTER) m2m.locked = true;
        return m2mError(ctx, 400, 'UnifiedWebService.REQUEST_FAILED.InvalidCredentials', 'invalid username or password');
      }
      m2m.failedLogins = 0;
      const sessionToken = randomBytes(18).toString('base64url');
      ctx.state.secrets.add(sessionToken);
      m2m.sessions.set(sessionToken, { username, createdAt: Date.now(), lastUsedAt: Date.now() });
      ctx.json(200, { sessionToken });
    },
  },
  {
    method: 'POST',
    path: '/api/m2m/v1/session/logout',
    name: 'logout',
    handler: (ctx) => {
      if (!requireBearer(ctx, 'thingspace')) return;
      const header = ctx.req.headers['vz-m2m-token'];
      if (!requireSession(ctx)) return;
      m2mState(ctx.state).sessions.delete(header as string);
      ctx.json(200, { sessionToken: header });
    },
  },
  {
    method: 'POST',
    path: '/api/m2m/v1/devices/actions/list',
    name: 'device-list',
    handler: (ctx) => {
      if (!requireBearer(ctx, 'thingspace')) return;
      if (!requireSession(ctx)) return;
      const m2m = m2mState(ctx.state);
      const body = ctx.body as { largestDeviceIdSeen?: unknown; maxNumberOfDevices?: unknown; deviceId?: { id?: unknown } };
      const after = typeof body.largestDeviceIdSeen === 'number' ? body.largestDeviceIdSeen : -1;
      const size = Math.max(
        1,
        Math.min(m2m.pageSize, typeof body.maxNumberOfDevices === 'number' ? body.maxNumberOfDevices : m2m.pageSize),
      );
      let devices = DEMO_DEVICES.filter((d) => d.m2mId > after).sort((a, b) => a.m2mId - b.m2mId);
      if (body.deviceId && typeof body.deviceId.id === 'string') {
        const id = body.deviceId.id;
        devices = devices.filter((d) => d.imei === id || d.iccid === id || d.mdn === id);
      }
      const page = devices.slice(0, size);
      ctx.json(200, { hasMoreData: devices.length > size, devices: page.map(m2mRecord) });
    },
  },
  control('/m2m/expire-sessions', 'expire-sessions', (ctx) => {
    const m2m = m2mState(ctx.state);
    const expired = m2m.sessions.size;
    m2m.sessions.clear();
    ctx.json(200, { expired });
  }),
  control('/m2m/reject-password', 'reject-password', (ctx) => {
    const m2m = m2mState(ctx.state);
    const times = typeof ctx.body.times === 'number' ? ctx.body.times : 1;
    m2m.rejectLogins = times <= 0 ? -1 : times;
    ctx.json(200, { rejectLogins: m2m.rejectLogins });
  }),
  control('/m2m/unlock', 'unlock', (ctx) => {
    const m2m = m2mState(ctx.state);
    Object.assign(m2m, { failedLogins: 0, locked: false, rejectLogins: 0 });
    ctx.json(200, { locked: false });
  }),
  control('/m2m/settings', 'settings', (ctx) => {
    const m2m = m2mState(ctx.state);
    if (typeof ctx.body.pageSize === 'number' && ctx.body.pageSize >= 1) m2m.pageSize = Math.floor(ctx.body.pageSize);
    ctx.json(200, { pageSize: m2m.pageSize, sessions: m2m.sessions.size, failedLogins: m2m.failedLogins, locked: m2m.locked });
  }),
];
