import type { EmulatedProvider } from '../http.js';
import { oauth2, oauth2Metadata } from './generic.js';
import { insightsHub } from './insights-hub.js';
import { iotspot } from './iotspot.js';
import { thingspaceCore } from './thingspace-core.js';
import { thingspace } from './thingspace.js';
import { verizonCloud } from './verizon-cloud.js';

/** Every provider the emulator plays, one module each. */
export const PROVIDERS: EmulatedProvider[] = [thingspace, thingspaceCore, insightsHub, iotspot, verizonCloud, oauth2, oauth2Metadata];
