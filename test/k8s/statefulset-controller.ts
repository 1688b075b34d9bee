// The parts of Kubernetes the three-pod rehearsal plays itself: the StatefulSet controller (pods
// zk-0..zk-N-1 created in order, each once the previous one is Ready: OrderedReady; a pod deleted is
// recreated with the same name and volume and a new IP), the kubelet (readiness through the exec probe
// with the manifest's initial delay, period and timeout scaled down; a container that exits is
// restarted after the back-off) and the cluster DNS of the headless service.
//
// DNS follows the seed manifest's headless service, which does not publish not-ready addresses: a
// pod's record (<pod>.<service>.default.svc.cluster.local, and the short name) appears in the other
// pods' /etc/hosts when the pod becomes Ready, and goes away when its container ends or the pod is
// deleted. A pod always resolves its own name (the kubelet's hosts entry). With
// publishNotReadyAddresses the record is published as soon as the pod has its IP.

import type { ProbeSpec, StopResult } from './pod.js';
import { Pod, sleep, type Container, type ContainerSource, type PodNetwork } from './statefulset-pods.js';

export interface StatefulSetSpec {
  readonly name: string;
  readonly service: string;
  readonly replicas: number;
  readonly command: readonly string[];
  /** The container environment of the pod with this name. */
  readonly env: (podName: string) => Readonly<Record<string, string>>;
  readonly readiness: ProbeSpec;
  readonly liveness: ProbeSpec;
  /** Seconds of the manifest become scale seconds here. */
  readonly scale: number;
  /** terminationGracePeriodSeconds, scaled, in ms. */
  readonly graceMs: number;
  readonly publishNotReadyAddresses: boolean;
}

export interface PodEvent {
  readonly atMs: number;
  readonly pod: string;
  readonly what: 'created' | 'ready' | 'container exited' | 'container started' | 'deleted';
  readonly detail?: string;
}

interface DnsRecord {
  readonly ip: string;
  readonly fqdn: string;
  readonly name: string;
}

export class StatefulSet {
  readonly spec: StatefulSetSpec;
  readonly events: PodEvent[] = [];
  /** PID 1 of every container started, as this machine's pids. */
  readonly inits: number[] = [];
  readonly #network: PodNetwork;
  readonly #source: ContainerSource;
  readonly #createVolume: (name: string) => string;
  readonly #volumes = new Map<number, string>();
  readonly #pods = new Map<number, Pod>();
  readonly #records = new Map<string, DnsRecord>();
  readonly #started = Date.now();

  constructor(spec: StatefulSetSpec, network: PodNetwork, source: ContainerSource, createVolume: (name: string) => string) {
    this.spec = spec;
    this.#network = network;
    this.#source = source;
    this.#createVolume = createVolume;
  }

  podName(ordinal: number): string {
    return `${this.spec.name}-${String(ordinal)}`;
  }

  pod(ordinal: number): Pod {
    const pod = this.#pods.get(ordinal);
    if (pod === undefined || pod.deleted) throw new Error(`no pod ${this.podName(ordinal)}`);
    return pod;
  }

  container(ordinal: number): Container {
    const container = this.pod(ordinal).current;
    if (container === null) throw new Error(`pod ${this.podName(ordinal)} has no container`);
    return container;
  }

  /** Pods that exist now, by ordinal. */
  ordinals(): number[] {
    return [...this.#pods.entries()].filter(([, p]) => !p.deleted).map(([o]) => o).sort((a, b) => a - b);
  }

  /** The volume of the claim datadir-<pod>: made once, kept across pod deletions. */
  volume(ordinal: number): string {
    let volume = this.#volumes.get(ordinal);
    if (volume === undefined) {
      volume = this.#createVolume(`datadir-${this.podName(ordinal)}`);
      this.#volumes.set(ordinal, volume);
    }
    return volume;
  }

  #event(pod: string, what: PodEvent['what'], detail?: string): void {
    this.events.push({ atMs: Date.now() - this.#started, pod, what, ...(detail === undefined ? {} : { detail }) });
  }

  #publish(pod: Pod): void {
    this.#records.set(pod.name, { ip: pod.ip, fqdn: pod.fqdn, name: pod.name });
    this.#writeAllHosts();
  }

  #unpublish(name: string): void {
    if (this.#records.delete(name)) this.#writeAllHosts();
  }

  #writeAllHosts(): void {
    const records = [...this.#records.values()];
    for (const pod of this.#pods.values()) if (!pod.deleted) pod.writeHosts(records);
  }

  /** The records the cluster DNS serves now. */
  dnsRecords(): ReadonlyMap<string, string> {
    return new Map([...this.#records.values()].map((r) => [r.name, r.ip]));
  }

  /** Starts a container in the pod and waits until the readiness probe passes. */
  async #runContainer(pod: Pod): Promise<Container> {
    const container = await pod.startContainer(this.spec.command, this.spec.env(pod.name));
    this.inits.push(container.init);
    this.#event(pod.name, 'container started', `#${String(container.id)}`);
    void container.exited.then((exit) => {
      this.#event(pod.name, 'container exited', `#${String(container.id)} code ${String(exit.code)} signal ${String(exit.signal)}`);
      // Not Ready any more: the endpoint (and the DNS record) is removed.
      if (pod.current === container && !this.spec.publishNotReadyAddresses) this.#unpublish(pod.name);
    });
    await container.waitReady(this.spec.readiness, this.spec.scale);
    this.#event(pod.name, 'ready', `#${String(container.id)}`);
    this.#publish(pod);
    return container;
  }

  /** Creates the pod of this ordinal (a new IP, its volume) and waits until it is Ready. */
  async createPod(ordinal: number): Promise<Pod> {
    const existing = this.#pods.get(ordinal);
    if (existing !== undefined && !existing.deleted) throw new Error(`${existing.name} exists`);
    const pod = new Pod(this.#network, this.#source, this.podName(ordinal), this.spec.service, this.volume(ordinal));
    this.#pods.set(ordinal, pod);
    this.#event(pod.name, 'created', pod.ip);
    if (this.spec.publishNotReadyAddresses) this.#publish(pod);
    else this.#writeAllHosts();
    await this.#runContainer(pod);
    return pod;
  }

  /** OrderedReady: every missing pod, lowest ordinal first, each once the previous is Ready. */
  async reconcile(): Promise<void> {
    for (let ordinal = 0; ordinal < this.spec.replicas; ordinal++) {
      const pod = this.#pods.get(ordinal);
      if (pod === undefined || pod.deleted) await this.createPod(ordinal);
    }
  }

  /** kubectl delete pod: the container stopped with the grace period, the pod's network removed. */
  async deletePod(ordinal: number): Promise<StopResult | null> {
    const pod = this.pod(ordinal);
    this.#unpublish(pod.name);
    const result = await pod.delete(this.spec.graceMs);
    this.#event(pod.name, 'deleted', result === null ? undefined : `SIGTERM sufficed: ${String(result.exitedOnSigterm)}`);
    return result;
  }

  /**
   * The kubelet after the container of this pod ended (or was stopped by a liveness failure): the
   * restart back-off (10 s, scaled), a new container in the same pod (same IP), Ready again.
   */
  async restartContainer(ordinal: number): Promise<Container> {
    const pod = this.pod(ordinal);
    const current = pod.current;
    if (current !== null) await current.exited;
    await sleep(10_000 * this.spec.scale);
    return this.#runContainer(pod);
  }

  /** Tears down every pod (volumes stay until the work directory goes). */
  async deleteAll(graceMs = 0): Promise<void> {
    for (const pod of this.#pods.values()) if (!pod.deleted) await pod.delete(graceMs);
    this.#records.clear();
  }

  /** The last lines of every pod's current container log, for failure messages. */
  logs(lines = 30): string {
    const out: string[] = [];
    for (const [ordinal, pod] of [...this.#pods.entries()].sort((a, b) => a[0] - b[0])) {
      if (pod.deleted || pod.current === null) continue;
      const tail = pod.current.log().trimEnd().split('\n').slice(-lines).join('\n');
      out.push(`--- ${this.podName(ordinal)} (${pod.ip}) container #${String(pod.current.id)} ---\n${tail}`);
    }
    return out.join('\n');
  }
}
