import CoreMetrics
import KubeClient
import Logging
import Prometheus
import Synchronization

/// The process's Prometheus registry and the swift-metrics backend that feeds it.
///
/// Every metric of the package goes through swift-metrics (`Counter`, `Gauge`, `Timer`), so any
/// backend works; this one is swift-prometheus's (`PrometheusMetricsFactory`), chosen because it
/// renders the Prometheus text format that scrapers and kube-prometheus expect and is maintained by
/// the Swift Server Workgroup, rather than a backend of our own that would need its own tests.
///
/// ``bootstrap()`` installs it as the process's metrics system once (swift-metrics allows one
/// bootstrap per process); later calls return the same registry. ``OperatorEndpoint`` calls it, so
/// an operator only adds the endpoint to its service group.
public enum OperatorMetrics {
    private static let installed = Mutex<PrometheusCollectorRegistry?>(nil)

    /// client-go's workqueue buckets (10 ns to 10 s, ×10), so queue latencies and reconcile times
    /// far below the defaults' 5 ms are still told apart.
    static let workQueueBuckets: [Duration] = (0...9).map { Duration.nanoseconds(Int64(pow10($0) * 10)) }

    private static func pow10(_ exponent: Int) -> Double { (0..<exponent).reduce(1) { value, _ in value * 10 } }

    /// controller-runtime's `controller_runtime_reconcile_time_seconds` buckets (5 ms to 60 s).
    static let reconcileTimeBuckets: [Duration] =
        [5, 10, 25, 50, 100, 150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000, 1250, 1500, 1750, 2000, 2500, 3000, 3500,
         4000, 4500, 5000, 6000, 7000, 8000, 9000, 10000, 15000, 20000, 25000, 30000, 40000, 50000, 60000].map { Duration.milliseconds($0) }

    /// Installs the Prometheus backend as the process's metrics system, once; returns its registry.
    /// When something else bootstrapped swift-metrics first, returns `nil` (and logs a warning):
    /// pass your own registry to ``OperatorEndpoint`` then.
    @discardableResult
    public static func bootstrap(logger: Logger = Logger(label: "kubernetes.metrics")) -> PrometheusCollectorRegistry? {
        installed.withLock { registry in
            if let registry { return registry }
            guard MetricsSystem.factory is NOOPMetricsHandler else {
                logger.warning("swift-metrics was bootstrapped by someone else; the operator endpoint serves no metrics unless given that registry")
                return nil
            }
            let fresh = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: fresh)
            for name in [MetricNames.queueDuration, MetricNames.workDuration] {
                factory.durationHistogramBuckets[name] = workQueueBuckets
            }
            factory.durationHistogramBuckets[MetricNames.reconcileTime] = reconcileTimeBuckets
            MetricsSystem.bootstrap(factory)
            registry = fresh
            return fresh
        }
    }

    /// The registry ``bootstrap()`` installed, if it did.
    public static var registry: PrometheusCollectorRegistry? { installed.withLock { $0 } }

    /// The text exposition of `registry`, after every scrape-time gauge was brought up to date
    /// (ages, times to expiry, longest running work items).
    public static func render(_ registry: PrometheusCollectorRegistry) async -> String {
        await ScrapeHooks.runAll()
        return registry.emitToString()
    }
}

/// The metric names, client-go's and controller-runtime's where they have one.
public enum MetricNames {
    // Work queue (client-go `workqueue`), label `name`.
    public static let depth = "workqueue_depth"
    public static let adds = "workqueue_adds_total"
    public static let queueDuration = "workqueue_queue_duration_seconds"
    public static let workDuration = "workqueue_work_duration_seconds"
    public static let unfinishedWork = "workqueue_unfinished_work_seconds"
    public static let longestRunning = "workqueue_longest_running_processor_seconds"
    public static let retries = "workqueue_retries_total"
    // Controller (controller-runtime), label `controller` (+ `result`).
    public static let reconciles = "controller_runtime_reconcile_total"
    public static let reconcileErrors = "controller_runtime_reconcile_errors_total"
    public static let reconcileTime = "controller_runtime_reconcile_time_seconds"
    public static let activeWorkers = "controller_runtime_active_workers"
    // Informer, label `informer`.
    public static let informerListRestarts = "kube_informer_list_restarts_total"
    public static let informerWatchRestarts = "kube_informer_watch_restarts_total"
    public static let informerLastSyncAge = "kube_informer_last_sync_age_seconds"
    public static let informerSynced = "kube_informer_synced"
    public static let informerObjects = "kube_informer_objects"
    // Leader election (client-go), label `name` (the Lease).
    public static let leaderStatus = "leader_election_master_status"
}
