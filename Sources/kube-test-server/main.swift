// Replaced by the real command below (milestone 6).
import KubeTestServer
