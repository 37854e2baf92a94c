// One kernel per language of the page, reached through the gateway's SignalR hub ({gateway}hubs/kernels).
// The cells of that language share it; its messages arrive on one stream keyed by a client id chosen per page load,
// which is also how the gateway replays what was sent while SignalR was reconnecting. Every kernel of a page runs
// in the page's notebook session, so they share its workspace.
import { HubConnectionBuilder, HubConnectionState, LogLevel } from '@microsoft/signalr';

function randomClientId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

/** The part of a SignalR/hub error worth showing a reader ("HubException: " and transport noise removed). */
export function describeError(error) {
  const text = String(error?.message ?? error ?? 'unknown error');
  const hub = text.match(/HubException: (.*)$/s);
  if (hub) return hub[1].trim();
  if (/Status code '401'/.test(text)) return 'the gateway refused the token (401).';
  if (/Failed to fetch|NetworkError|Load failed/i.test(text)) {
    // What a browser reports for a refused cross-origin request as well as for an unreachable server.
    return `cannot reach the gateway at ${error?.gateway ?? 'its URL'} (not running, or this page's origin is not in its Hub:AllowOrigins): ${text}`;
  }
  return text.trim();
}

/**
 * Kernel states reported through `onState`: disconnected, connecting, starting, idle, busy, reconnecting,
 * restarting, dead, error (with a detail text).
 */
export class KernelSession {
  constructor(config, kernelName, { onState, onMessage }) {
    this.config = config;
    this.kernelName = kernelName;
    this.onState = onState;
    this.onMessage = onMessage;
    this.clientId = randomClientId();
    this.kernelId = null;
    this.kernelReady = null;
    this.subscription = null;
    this.executionState = 'idle';
    this.connection = new HubConnectionBuilder()
      .withUrl(`${config.gateway}hubs/kernels`, {
        // negotiate and long polling send it as "Authorization: Bearer", websockets and SSE as ?access_token=.
        accessTokenFactory: () => config.token,
        // The token authenticates; cookies are not needed, so cross-origin pages do not send the gateway's.
        withCredentials: false,
      })
      .withAutomaticReconnect()
      .configureLogging(LogLevel.Warning)
      .build();
    this.reconnectWaiters = [];
    this.connection.onreconnecting(() => this.setState('reconnecting'));
    this.connection.onreconnected(() => {
      this.resubscribe();
      this.releaseReconnectWaiters();
    });
    this.connection.onclose(error => {
      this.subscription = null;
      this.kernelReady = null;
      this.setState('disconnected', error ? describeError(error) : '');
      this.releaseReconnectWaiters();
    });
  }

  setState(state, detail = '') {
    this.state = state;
    this.onState(state, detail);
  }

  /** Connects, starts (or re-attaches to) the page's kernel and subscribes; one attempt at a time. */
  ensureKernel() {
    this.kernelReady ??= this.startKernel().catch(error => {
      this.kernelReady = null;
      if (error && typeof error === 'object') error.gateway = this.config.gateway;
      this.setState('error', describeError(error));
      throw error;
    });
    return this.kernelReady;
  }

  async startKernel() {
    if (this.connection.state === HubConnectionState.Disconnected) {
      this.setState('connecting');
      await this.connection.start();
    }
    this.setState('starting');
    const started = await this.connection.invoke('StartKernel', {
      kernelName: this.kernelName,
      session: this.config.session,
    });
    this.kernelId = started.kernelId;
    this.subscribe();
    this.executionState = 'idle';
    this.setState('idle');
    return this.kernelId;
  }

  subscribe() {
    this.subscription?.dispose();
    const kernelId = this.kernelId;
    const stream = this.connection.stream('Subscribe', kernelId, this.clientId);
    const subscription = stream.subscribe({
      next: item => this.receive(item),
      error: error => {
        // A dropped connection ends every stream (SignalR reports it while its state still says Connected and only
        // then starts reconnecting); onreconnected subscribes again with the same client id. So look once the
        // current task is over: still connected means the server ended this stream (an unknown kernel, say).
        setTimeout(() => {
          if (this.subscription !== subscription || this.connection.state !== HubConnectionState.Connected) return;
          this.subscription = null;
          this.kernelReady = null;
          this.setState('error', describeError(error));
        }, 0);
      },
      complete: () => {
        if (this.subscription === subscription) {
          this.subscription = null;
          this.kernelReady = null;
        }
      },
    });
    this.subscription = subscription;
  }

  resubscribe() {
    if (this.kernelId === null || this.kernelReady === null) {
      this.setState('disconnected');
      return;
    }
    this.subscribe();
    this.setState(this.executionState);
  }

  receive(item) {
    let message;
    try {
      message = typeof item === 'string' ? JSON.parse(item) : item;
    } catch {
      return;
    }
    if (message?.msg_type === 'status' && message.channel === 'iopub') {
      const state = message.content?.execution_state;
      if (state === 'dead') {
        // The next Run starts (or re-attaches to) a kernel again.
        this.kernelReady = null;
      }
      if (typeof state === 'string') {
        this.executionState = state;
        this.setState(state);
      }
    }
    this.onMessage(message);
  }

  /** Resolves when SignalR is not in the middle of reconnecting (a call then would fail at once). */
  untilNotReconnecting() {
    if (this.connection.state !== HubConnectionState.Reconnecting) return Promise.resolve();
    return new Promise(resolve => this.reconnectWaiters.push(resolve));
  }

  releaseReconnectWaiters() {
    const waiters = this.reconnectWaiters;
    this.reconnectWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async execute(code) {
    // A Run during a reconnect waits for it; after a failed reconnect, ensureKernel connects and re-attaches anew.
    await this.untilNotReconnecting();
    const kernelId = await this.ensureKernel();
    return this.connection.invoke('Execute', kernelId, this.clientId, code, { allowStdin: true });
  }

  async inputReply(value) {
    await this.connection.invoke('InputReply', this.kernelId, this.clientId, value);
  }

  async interrupt() {
    if (this.kernelId === null || this.kernelReady === null) return;
    await this.connection.invoke('Interrupt', this.kernelId);
  }

  async restart() {
    const kernelId = await this.ensureKernel();
    this.setState('restarting');
    await this.connection.invoke('Restart', kernelId);
    this.executionState = 'idle';
    this.setState('idle');
  }
}
