import Crypto
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// Service-account issuer discovery, as an OIDC relying party uses it (recorded exchange 011):
/// the configuration names the issuer and the key set, and the key set verifies the tokens.
@Suite("Service-account issuer discovery", .timeLimit(.minutes(1)))
struct IssuerDiscoveryTests {
    static func base64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    @Test func aServiceAccountFindsTheKeysThatVerifyItsToken() async throws {
        try await withServer { server, wire in
            let token = try await server.mintServiceAccountToken(namespace: "default", serviceAccount: "default")
            // Any service account may read it (system:service-account-issuer-discovery).
            let configuration = try await wire.request(.GET, "/.well-known/openid-configuration", token: token)
            #expect(configuration.status == 200)
            #expect(configuration.json["issuer"] == .string(TokenAuthority.issuer))
            #expect(configuration.json["id_token_signing_alg_values_supported"] == ["ES256"])
            let jwksURI = try #require(configuration.json["jwks_uri"]?.stringValue)
            #expect(jwksURI == server.url + "/openid/v1/jwks")

            let keys = try await wire.request(.GET, "/openid/v1/jwks", headers: [("Accept", "application/jwk-set+json")], token: token)
            #expect(keys.status == 200)
            #expect(keys.headers.first(name: "Content-Type") == "application/jwk-set+json")
            let key = try #require(keys.json["keys"]?.arrayValue?.first)
            #expect(key["kty"] == "EC" && key["crv"] == "P-256" && key["alg"] == "ES256" && key["use"] == "sig")

            // Verify the token as a relying party would: the header's kid names the key, the key checks the signature.
            let parts = token.split(separator: ".").map(String.init)
            let header = try JSONDecoder().decode(JSONValue.self, from: try #require(Self.base64URL(parts[0])))
            #expect(header["alg"] == "ES256")
            #expect(header["kid"] == key["kid"])
            let x = try #require(Self.base64URL(key["x"]?.stringValue ?? "")), y = try #require(Self.base64URL(key["y"]?.stringValue ?? ""))
            let publicKey = try P256.Signing.PublicKey(rawRepresentation: x + y)
            let signature = try P256.Signing.ECDSASignature(rawRepresentation: try #require(Self.base64URL(parts[2])))
            #expect(publicKey.isValidSignature(signature, for: Data((parts[0] + "." + parts[1]).utf8)))
            // The key id is kube's: the SHA-256 of the public key's PKIX DER, unpadded base64url.
            #expect(key["kid"]?.stringValue == TokenAuthority.base64URL(Data(SHA256.hash(data: publicKey.derRepresentation))))

            // After a key rotation the set holds the new key, which verifies new tokens only.
            await server.faults.rotateSigningKey()
            let rotated = try await wire.request(.GET, "/openid/v1/jwks")
            #expect(rotated.json["keys"]?[0]?["kid"] != key["kid"])
        }
    }

    @Test func theKeySetIsOnlyAJWKSetAndNotForAnonymous() async throws {
        try await withServer { server, wire in
            #expect(try await wire.request(.GET, "/openid/v1/jwks").status == 200)  // no Accept
            let json = try await wire.request(.GET, "/openid/v1/jwks", headers: [("Accept", "application/json")])
            #expect(json.status == 406)
            #expect(json.statusObject?.message == "406: Not Acceptable\n\nAvailable representations: application/jwk-set+json")
            let anonymous = try Wire(server: server, token: nil)
            let refused = try await anonymous.get("/.well-known/openid-configuration")
            await anonymous.shutdown()
            #expect(refused.status == 403)
            #expect(refused.statusObject?.message == "forbidden: User \"system:anonymous\" cannot get path \"/.well-known/openid-configuration\"")
        }
    }
}
