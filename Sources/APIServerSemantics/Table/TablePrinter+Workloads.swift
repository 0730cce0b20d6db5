import Foundation
import KubeCore

extension TablePrinter {
    static let containersColumn = Column.string("Containers", priority: 1, "Names of each container in the template.")
    static let imagesColumn = Column.string("Images", priority: 1, "Images referenced by each container in the template.")
    static let selectorColumn = Column.string("Selector", priority: 1, "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.")

    static let deployments = TablePrinter(
        columns: [
            .nameColumn, .string("Ready", "Number of the pod with ready state"),
            .string("Up-to-date", "Total number of non-terminating pods targeted by this deployment that have the desired template spec."),
            .string("Available", "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment."),
            .ageColumn, containersColumn, imagesColumn, selectorColumn,
        ],
        cells: { object, now in
            let status = object["status"]
            let desired = object["spec"]?["replicas"]?.intValue ?? 1
            return [
                name(object), .string("\(int(status?["readyReplicas"]))/\(desired)"),
                .int(int(status?["updatedReplicas"])), .int(int(status?["availableReplicas"])), creationAge(object, now),
            ] + containersAndImages(object["spec"]?["template"]?["spec"])
                + [.string(formatLabelSelector(object["spec"]?["selector"]))]
        })

    static let replicaSets = TablePrinter(
        columns: [
            .nameColumn, .integer("Desired", "Replicas is the number of desired replicas."),
            .integer("Current", "Replicas is the most recently observed number of replicas."),
            .integer("Ready", "The number of ready replicas for this replica set."),
            .ageColumn, containersColumn, imagesColumn, selectorColumn,
        ],
        cells: { object, now in
            let status = object["status"]
            return [
                name(object), .int(object["spec"]?["replicas"]?.intValue ?? 1), .int(int(status?["replicas"])),
                .int(int(status?["readyReplicas"])), creationAge(object, now),
            ] + containersAndImages(object["spec"]?["template"]?["spec"])
                + [.string(formatLabelSelector(object["spec"]?["selector"]))]
        })

    static let statefulSets = TablePrinter(
        columns: [.nameColumn, .string("Ready", "Number of the pod with ready state"), .ageColumn, containersColumn, imagesColumn],
        cells: { object, now in
            let desired = object["spec"]?["replicas"]?.intValue ?? 1
            return [name(object), .string("\(int(object["status"]?["readyReplicas"]))/\(desired)"), creationAge(object, now)]
                + containersAndImages(object["spec"]?["template"]?["spec"])
        })

    static let daemonSets = TablePrinter(
        columns: [
            .nameColumn, .integer("Desired", "The total number of nodes that should be running the daemon pod."),
            .integer("Current", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
            .integer("Ready", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."),
            .integer("Up-to-date", "The total number of nodes that are running updated daemon pod"),
            .integer("Available", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
            .string("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node."),
            .ageColumn, containersColumn, imagesColumn, selectorColumn,
        ],
        cells: { object, now in
            let status = object["status"]
            return [
                name(object), .int(int(status?["desiredNumberScheduled"])), .int(int(status?["currentNumberScheduled"])),
                .int(int(status?["numberReady"])), .int(int(status?["updatedNumberScheduled"])),
                .int(int(status?["numberAvailable"])),
                .string(formatLabels(object["spec"]?["template"]?["spec"]?["nodeSelector"])), creationAge(object, now),
            ] + containersAndImages(object["spec"]?["template"]?["spec"])
                + [.string(formatLabelSelector(object["spec"]?["selector"]))]
        })

    static let jobs = TablePrinter(
        columns: [
            .nameColumn, .string("Status", "Status of the job."),
            .string("Completions", "The desired number of successfully finished pods the job should be run with."),
            .string("Duration", "Time required to complete the job."), .ageColumn, containersColumn, imagesColumn,
            selectorColumn,
        ],
        cells: { object, now in
            let spec = object["spec"]
            let status = object["status"]
            let completions: String
            if let wanted = spec?["completions"]?.intValue {
                completions = "\(int(status?["succeeded"]))/\(wanted)"
            } else if let parallelism = spec?["parallelism"]?.intValue, parallelism > 1 {
                completions = "\(int(status?["succeeded"]))/1 of \(parallelism)"
            } else {
                completions = "\(int(status?["succeeded"]))/1"
            }
            var duration = ""
            if let start = status?["startTime"]?.stringValue.flatMap(RFC3339.parse) {
                let end = status?["completionTime"]?.stringValue.flatMap(RFC3339.parse) ?? now
                duration = humanDuration(end.timeIntervalSince(start))
            }
            return [name(object), .string(jobStatus(object)), .string(completions), .string(duration), creationAge(object, now)]
                + containersAndImages(spec?["template"]?["spec"]) + [.string(formatLabelSelector(spec?["selector"]))]
        })

    /// printers.go `printJob`'s status column.
    static func jobStatus(_ job: JSONValue) -> String {
        let conditions = job["status"]?["conditions"]?.arrayValue ?? []
        func has(_ type: String) -> Bool { conditions.contains { $0["type"]?.stringValue == type && $0["status"] == "True" } }
        if has("Complete") { return "Complete" }
        if has("Failed") { return "Failed" }
        if job["metadata"]?["deletionTimestamp"] != nil { return "Terminating" }
        if has("SuccessCriteriaMet") { return "SuccessCriteriaMet" }
        if has("FailureTarget") { return "FailureTarget" }
        if has("Suspended") { return "Suspended" }
        return "Running"
    }

    static let cronJobs = TablePrinter(
        columns: [
            .nameColumn, .string("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
            .string("Timezone", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
            Column(name: "Suspend", type: "boolean", description: "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false."),
            .integer("Active", "A list of pointers to currently running jobs."),
            .string("Last Schedule", "Information when was the last time the job was successfully scheduled."),
            .ageColumn, containersColumn, imagesColumn, selectorColumn,
        ],
        cells: { object, now in
            let spec = object["spec"]
            let lastSchedule = object["status"]?["lastScheduleTime"]
            let jobSpec = spec?["jobTemplate"]?["spec"]
            return [
                name(object), .string(spec?["schedule"]?.stringValue ?? ""),
                .string(orNone(spec?["timeZone"]?.stringValue)), .bool(spec?["suspend"]?.boolValue ?? false),
                .int(Int64(object["status"]?["active"]?.arrayValue?.count ?? 0)),
                .string(lastSchedule == nil ? "<none>" : age(lastSchedule, now: now)), creationAge(object, now),
            ] + containersAndImages(jobSpec?["template"]?["spec"]) + [.string(formatLabelSelector(jobSpec?["selector"]))]
        })
}
