import CZlib
import Foundation

/// gzip as kube-apiserver applies it to responses (`responsewriters.deferredResponseWriter`):
/// only when the request's `Accept-Encoding` names `gzip`, only for a body larger than
/// 128 KiB, at compression level 1 (kube chose it for CPU: ratios within 1.1–1.3x of the
/// default level), with `Content-Encoding: gzip` and `Vary: Accept-Encoding`. Watch streams
/// are never compressed (they use their own per-event writer).
package enum Gzip {
    /// kube-apiserver's `defaultGzipThresholdBytes`: a body must be larger to be compressed.
    package static let thresholdBytes = 128 * 1024
    /// kube-apiserver's `defaultGzipContentEncodingLevel`.
    package static let level: Int32 = 1

    /// kube-apiserver's `negotiateContentEncoding`: a comma-separated token that is exactly
    /// `gzip` (parameters such as `;q=` make a token that is not).
    package static func accepts(_ acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        return acceptEncoding.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "gzip" }
    }

    /// `data` gzipped at ``level``; `nil` only if zlib refuses to start (out of memory).
    package static func compress(_ data: Data, level: Int32 = Gzip.level) -> Data? {
        var stream = z_stream()
        guard czlib_deflate_init_gzip(&stream, level) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = Data(count: Int(deflateBound(&stream, UInt(data.count))) + 32)
        let produced: Int? = data.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(out.count)
                // deflateBound sized the output for a single call.
                guard deflate(&stream, Z_FINISH) == Z_STREAM_END else { return nil }
                return out.count - Int(stream.avail_out)
            }
        }
        guard let produced else { return nil }
        output.count = produced
        return output
    }

    /// The inverse, for tests and peers of the server's own checks; `nil` when `data` is not
    /// gzip or inflates past `limit` bytes.
    package static func decompress(_ data: Data, limit: Int = 1 << 30) -> Data? {
        var stream = z_stream()
        guard czlib_inflate_init_gzip(&stream) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var result = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        return data.withUnsafeBytes { input -> Data? in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                let (status, written) = chunk.withUnsafeMutableBytes { out -> (Int32, Int) in
                    stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, out.count - Int(stream.avail_out))
                }
                result.append(contentsOf: chunk[0..<written])
                if result.count > limit { return nil }
                if status == Z_STREAM_END { return result }
                guard status == Z_OK, written > 0 || stream.avail_in > 0 else { return nil }
            }
        }
    }
}
