import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A plain-HTTP GET (or other method) to the operator endpoint on loopback, with a deadline.
func httpRequest(_ port: Int, _ path: String, method: HTTPMethod = .GET) async throws -> (status: Int, contentType: String?, body: String) {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
    request.method = method
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
    return (Int(response.status.code), response.headers.first(name: "Content-Type"), String(buffer: body))
}

/// The value of the sample `name{labels...}` in a Prometheus text exposition: the first sample of
/// that name whose labels include every pair of `labels`.
func sample(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " ") else { continue }
        let series = line[..<space]
        let value = line[line.index(after: space)...]
        let metric: Substring
        var found: [String: String] = [:]
        if let brace = series.firstIndex(of: "{") {
            metric = series[..<brace]
            let inner = series[series.index(after: brace)..<(series.lastIndex(of: "}") ?? series.endIndex)]
            // label="value" pairs; values here never contain `",`.
            for pair in inner.components(separatedBy: "\",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                found[String(parts[0])] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        } else {
            metric = series
        }
        guard metric == name, labels.allSatisfy({ found[$0.key] == $0.value }) else { continue }
        return Double(value)
    }
    return nil
}
