import Foundation
import KubeCore

/// apimachinery `duration.HumanDuration`: a short age with 2–3 significant figures
/// (`5s`, `3m2s`, `10m`, `5h3m`, `2d3h`, `120d`, `3y45d`), as kubectl's AGE column shows.
public func humanDuration(_ interval: TimeInterval) -> String {
    let seconds = Int(interval.rounded(.towardZero))
    if seconds < -1 { return "<invalid>" }
    if seconds < 0 { return "0s" }
    if seconds < 60 * 2 { return "\(seconds)s" }
    let minutes = seconds / 60
    if minutes < 10 {
        let s = seconds % 60
        return s == 0 ? "\(minutes)m" : "\(minutes)m\(s)s"
    }
    if minutes < 60 * 3 { return "\(minutes)m" }
    let hours = seconds / 3600
    if hours < 8 {
        let m = minutes % 60
        return m == 0 ? "\(hours)h" : "\(hours)h\(m)m"
    }
    if hours < 48 { return "\(hours)h" }
    if hours < 24 * 8 {
        let h = hours % 24
        return h == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(h)h"
    }
    if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365
        return days == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(days)d"
    }
    return "\(hours / 24 / 365)y"
}

/// kubectl printers' `translateTimestampSince`: the age of an RFC 3339 timestamp at `now`,
/// `<unknown>` when there is none.
func age(_ timestamp: JSONValue?, now: Date) -> String {
    guard let text = timestamp?.stringValue, let date = RFC3339.parse(text) else { return "<unknown>" }
    return humanDuration(now.timeIntervalSince(date))
}
