import Testing
@testable import KubeProxyLite

@Suite("KubeProxyLite: kube-proxy's iptables-mode rules for one Service", .timeLimit(.minutes(3)))
struct ServiceRulesTests {
    let base = ServiceRules(servicePortName: "default/kubernetes:https", clusterIP: "198.51.100.100", port: 443, endpoints: [])

    @Test func chainNamesAreKubeProxys() {
        // The chain every real cluster has for default/kubernetes:https.
        #expect(base.serviceChain == "KUBE-SVC-NPX46M4PTMTKRN6Y")
        #expect(base.endpointChain("198.51.100.1:6443").hasPrefix("KUBE-SEP-"))
        #expect(base.endpointChain("198.51.100.1:6443").count == "KUBE-SEP-".count + 16)
        #expect(base.endpointChain("198.51.100.1:6443") != base.endpointChain("198.51.100.2:6443"))
        #expect(ServiceRules.base32([0xff]) == "74======")
        #expect(ServiceRules.base32(Array("foobar".utf8)) == "MZXW6YTBOI======")
    }

    @Test func twoEndpointsSplitRandomlyAndDNAT() {
        var rules = base
        rules.endpoints = ["198.51.100.1:6443", "198.51.100.2:6443"]
        let a = rules.endpointChain("198.51.100.1:6443")
        let b = rules.endpointChain("198.51.100.2:6443")
        let lines = rules.restoreInput(staleEndpointChains: []).split(separator: "\n").map(String.init)
        #expect(lines.contains(
            "-A KUBE-SERVICES -d 198.51.100.100/32 -p tcp -m comment --comment \"default/kubernetes:https cluster IP\" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y"))
        #expect(lines.contains(
            "-A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment \"default/kubernetes:https -> 198.51.100.1:6443\" -m statistic --mode random --probability 0.5000000000 -j \(a)"))
        #expect(lines.contains("-A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment \"default/kubernetes:https -> 198.51.100.2:6443\" -j \(b)"))
        #expect(lines.contains("-A \(a) -m comment --comment default/kubernetes:https -p tcp -m tcp -j DNAT --to-destination 198.51.100.1:6443"))
        #expect(lines.contains("-A \(b) -m comment --comment default/kubernetes:https -p tcp -m tcp -j DNAT --to-destination 198.51.100.2:6443"))
        #expect(!lines.contains { $0.contains("REJECT") })
        #expect(lines.filter { $0 == "COMMIT" }.count == 2)
    }

    @Test func threeEndpointsGetEqualShares() {
        var rules = base
        rules.endpoints = ["198.51.100.1:6443", "198.51.100.2:6443", "198.51.100.3:6443"]
        let text = rules.restoreInput(staleEndpointChains: [])
        #expect(text.contains("--probability 0.3333333333 "))
        #expect(text.contains("--probability 0.5000000000 "))
        #expect(text.components(separatedBy: "--probability").count == 3)
    }

    @Test func aRemovedEndpointsChainIsDeletedAndNoEndpointsRejects() {
        var rules = base
        rules.endpoints = ["198.51.100.2:6443"]
        let gone = rules.endpointChain("198.51.100.1:6443")
        let one = rules.restoreInput(staleEndpointChains: [gone])
        #expect(one.contains(":\(gone) - [0:0]\n"))
        #expect(one.contains("-X \(gone)\n"))
        #expect(!one.contains("--probability"))
        rules.endpoints = []
        let none = rules.restoreInput(staleEndpointChains: [])
        #expect(!none.contains("-j KUBE-SVC-"))
        #expect(none.contains(
            "-A KUBE-SERVICES -d 198.51.100.100/32 -p tcp -m comment --comment \"default/kubernetes:https has no endpoints\" -m tcp --dport 443 -j REJECT --reject-with icmp-port-unreachable"))
    }
}
