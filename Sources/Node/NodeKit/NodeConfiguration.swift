import Actors

/// Everything `chat-node` is configured with: environment variables, overridden by
/// command-line flags of the same meaning (`PORT=9000` or `--port 9000` / `--port=9000`).
///
/// `NodeConfiguration.load` checks every setting and reports all problems at once, so the
/// node refuses to start with a clear message instead of running half-configured.
public struct NodeConfiguration: Sendable, Equatable {
    /// How Valkey is used.
    public enum ValkeyMode: String, Sendable { case shards, cluster }
    /// Where messages are stored.
    public enum StoreKind: String, Sendable { case valkey, memory }

    /// TCP port for HTTP and WebSocket (`PORT`, 8080).
    public var port = 8080
    /// Address to listen on (`HOST`, 0.0.0.0).
    public var host = "0.0.0.0"
    /// Valkey servers, `host:port` each (`VALKEY_HOSTS`).
    public var valkeyHosts: [HostPort] = [HostPort(host: "127.0.0.1", port: 6379)]
    /// Shards or Valkey Cluster (`VALKEY_MODE`).
    public var valkeyMode = ValkeyMode.shards
    /// Valkey or in-memory storage (`STORE`, `--store memory` for a single node without Valkey).
    public var store = StoreKind.valkey
    /// This node's id, 0...1023 (`NODE_ID`); nil means claimed from Valkey at start.
    public var nodeID: Int?
    /// Connections accepted at most (`MAX_CONNECTIONS`, 3000).
    public var maxConnections = 3000
    /// Base messages per minute per user at the normal level (`RATE_LIMIT`, 100).
    public var rateLimit = 100
    /// HS256 secret for client tokens (`JWT_SECRET`); required unless `DEV_LOGIN=1`.
    public var jwtSecret: String?
    /// Enables `/dev/token` (`DEV_LOGIN=1`).
    public var devLogin = false
    /// Seconds a room's history is kept (`HISTORY_TTL`, 3600).
    public var historyTTL = 3600
    /// Messages kept per room (`HISTORY_MAX`, 1000).
    public var historyMax = 1000
    /// Memory limit in MiB when no cgroup limit is found (`MEMORY_LIMIT_MB`, 750).
    public var memoryLimitMB = 750
    /// Path of the admin control socket (`CONTROL_SOCKET`).
    public var controlSocket = NodeConfiguration.defaultControlSocket()
    /// Token required on the control socket when set (`CONTROL_TOKEN`).
    public var controlToken: String?
    /// Log level (`LOG_LEVEL`, error).
    public var logLevel = LogLevel.error
    /// Certificate and key for wss (`TLS_CERT`, `TLS_KEY`), both or neither.
    public var tlsCert: String?
    /// See `tlsCert`.
    public var tlsKey: String?
    /// Event loops for the gateway (`GATEWAY_LOOPS`, 1 to 64, default 1): loop 0 runs the
    /// chat service, rooms and shard links and serves its share of sockets; loops 1... only
    /// serve sockets (SO_REUSEPORT listeners on the same port). See docs/architecture.md.
    public var gatewayLoops = 1
    /// Folder of the web client served at `/` (`WEB_ROOT`, `web`).
    public var webRoot = "web"
    /// Largest WebSocket message in bytes, after decompression (`MAX_MESSAGE_BYTES`, 65536).
    public var maxMessageBytes = 65536
    /// Largest message text in bytes of UTF-8 (`MAX_TEXT_BYTES`, 4096).
    public var maxTextBytes = 4096
    /// Whether permessage-deflate is offered (`DEFLATE`, on).
    public var deflate = true
    /// Seconds between load samples (`LOAD_SAMPLE_SECONDS`, 5).
    public var loadSampleSeconds = 5
    /// Seconds under the way-down threshold before the first step down (`LOAD_RECOVERY_SECONDS`, 30).
    public var loadRecoverySeconds = 30
    /// Seconds between further steps down (`LOAD_STEP_SECONDS`, 135: critical to normal in about 5 min).
    public var loadStepSeconds = 135
    /// WebSocket upgrades that may wait for admission (`ADMISSION_QUEUE`, 256; 0 refuses at once).
    public var admissionQueue = 256
    /// Longest wait for admission in milliseconds before 503 (`ADMISSION_WAIT_MS`, 5000).
    public var admissionWaitMs = 5000
    /// Upgrades admitted per second at the critical level (`ADMISSION_RATE`, 20).
    public var admissionRate = 20
    /// Every watched user's sessions are read again from Valkey within this many seconds
    /// (`PRESENCE_REFRESH_SECONDS`, 30): the bound on presence left stale by a lost event.
    public var presenceRefreshSeconds = 30

    /// The defaults.
    public init() {}

    /// `$XDG_RUNTIME_DIR/chat-node/control.sock`, else `/tmp/chat-node-<uid>/control.sock`.
    public static func defaultControlSocket(environment: [String: String] = [:]) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return runtime + "/chat-node/control.sock"
        }
        return "/tmp/chat-node/control.sock"
    }
}

/// A `host:port` pair.
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    /// Host name or address.
    public var host: String
    /// TCP port.
    public var port: Int

    /// A pair.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` with a port in 1...65535.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}
