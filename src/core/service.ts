/**
 * A feature service: constructed with its dependencies only (no work in the
 * constructor), brought up by start() and torn down by stop(). The agent
 * starts services in order and stops them in reverse.
 */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Optional: whether the service's own machinery still works (its loop
   * runs, its queue drains). Not whether a peer is reachable: a dead RTSP
   * server or broker is not fixed by restarting the agent, so it must not
   * withhold the systemd watchdog ping.
   */
  healthy?(): boolean;
}
