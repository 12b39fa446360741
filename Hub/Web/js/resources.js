// Reading /api/state (hub-api 11.1, docs/API.md): hosts, docker hosts and Kubernetes clusters in one row shape.
// Sections a hub does not fill yet are missing or empty; every reader here copes with that.

import { isNumber, toMillis } from "./dom.js";

export const asArray = (value) => (Array.isArray(value) ? value : []);

function firstNumber(...values) {
  return values.find(isNumber);
}

/** Usage of the root filesystem, else the fullest one. */
export function diskUsage(disks) {
  const list = asArray(disks).filter((disk) => isNumber(disk.usage) || (isNumber(disk.total) && disk.total > 0));
  const usage = (disk) => (isNumber(disk.usage) ? disk.usage : (disk.used / disk.total) * 100);
  const root = list.find((disk) => disk.mountpoint === "/");
  if (root) return usage(root);
  return list.length ? Math.max(...list.map(usage)) : undefined;
}

/** The hottest temperature sensor. */
export function maxTemperature(sensors) {
  const values = Object.values((sensors && sensors.temperatureCelsius) || {}).filter(isNumber);
  return values.length ? Math.max(...values) : undefined;
}

function memoryUsage(memory) {
  if (!memory) return undefined;
  if (isNumber(memory.usage)) return memory.usage;
  if (isNumber(memory.used) && isNumber(memory.total) && memory.total > 0) return (memory.used / memory.total) * 100;
  return undefined;
}

export function hostRow(host) {
  return {
    kind: "host", kindLabel: "Host", id: host.id, name: host.displayName || host.hostname || host.id,
    href: `/hosts/${encodeURIComponent(host.id)}`,
    detail: [host.osName, host.osVersion].filter(Boolean).join(" ") || host.platform || "",
    status: host.status || "unknown", lastSeen: toMillis(host.lastSeen),
    cpu: host.cpuUsage, memory: memoryUsage(host.memory), disk: diskUsage(host.disks),
    temperature: maxTemperature(host.sensors), tags: asArray(host.tags), raw: host,
  };
}

export function dockerHostRow(dockerHost) {
  const containers = asArray(dockerHost.containers);
  const running = containers.filter((c) => String(c.state).toLowerCase() === "running").length;
  const runtime = dockerHost.runtime === "podman" ? "Podman" : "Docker";
  return {
    kind: "docker", kindLabel: runtime, id: dockerHost.id,
    name: dockerHost.customDisplayName || dockerHost.displayName || dockerHost.hostname || dockerHost.id,
    href: `/containers#docker-${encodeURIComponent(dockerHost.id)}`,
    detail: `${running}/${containers.length} containers running`,
    status: dockerHost.status || "unknown", lastSeen: toMillis(dockerHost.lastSeen),
    cpu: firstNumber(dockerHost.cpuUsagePercent, dockerHost.cpuUsage), memory: memoryUsage(dockerHost.memory),
    disk: diskUsage(dockerHost.disks), temperature: undefined, tags: asArray(dockerHost.tags), raw: dockerHost,
  };
}

export function clusterRow(cluster) {
  const nodes = asArray(cluster.nodes);
  const ready = nodes.filter((node) => node.ready).length;
  return {
    kind: "kubernetes", kindLabel: "Kubernetes", id: cluster.id,
    name: cluster.customDisplayName || cluster.displayName || cluster.name || cluster.id,
    href: `/containers#cluster-${encodeURIComponent(cluster.id)}`,
    detail: `${ready}/${nodes.length} nodes ready · ${asArray(cluster.pods).length} pods`,
    status: cluster.status || "unknown", lastSeen: toMillis(cluster.lastSeen),
    cpu: undefined, memory: undefined, disk: undefined, temperature: undefined, tags: [], raw: cluster,
  };
}

/** Every resource in the state, in the overview's row shape. */
export function resourceRows(state) {
  return [
    ...asArray(state && state.hosts).map(hostRow),
    ...asArray(state && state.dockerHosts).map(dockerHostRow),
    ...asArray(state && state.kubernetesClusters).map(clusterRow),
  ];
}

/** Pods that need a look: failed or pending, running with containers not ready, or restarting often. */
export function problemPods(pods) {
  return asArray(pods).filter((pod) => {
    const phase = String(pod.phase || "").toLowerCase();
    if (phase === "succeeded") return false;
    if (phase !== "running") return true;
    const containers = asArray(pod.containers);
    if (containers.some((c) => c.ready === false)) return true;
    return (pod.restarts || 0) >= 3;
  });
}

const TEMPERATURE_REASONS = {
  "no-sysfs": "No temperatures: the agent cannot read /sys (in a container, mount the host's /sys).",
  "vm-no-hwmon": "No temperatures: this is a virtual machine, and virtual machines expose no temperature sensors.",
  "no-hwmon": "No temperatures: the kernel exposes no hardware monitoring sensors (load the sensor driver, e.g. coretemp or k10temp).",
  "no-known-chip": "No temperatures: the sensors found are not ones the agent reads.",
};

/** Why a host has no temperatures, in words (the agent's reason codes). */
export function temperatureReason(code) {
  if (!code) return "No temperature sensors reported.";
  return TEMPERATURE_REASONS[code] || `No temperatures (${code}).`;
}
