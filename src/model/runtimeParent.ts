/**
 * Parents that start a container's main processes: the container runtime (outside the container,
 * never an event) and the init shims images run as PID 1 (tini, dumb-init, s6, supervisord), whose
 * children are the container's real main processes. A process they started is the container's
 * entrypoint: long-running, the workload's own.
 */
export const RUNTIME_PARENT =
  /containerd-shim|\/runc$|conmon|crun|docker-containerd|^\/?init$|(^|\/)(tini|dumb-init|catatonit|s6-svscan|s6-supervise|supervisord)$/;
