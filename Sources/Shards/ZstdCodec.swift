import CZstd

/// The codec of payloads stored in Valkey (history entries, edit texts): zstd over 512 bytes.
///
/// Every stored payload starts with one flag byte, so readers accept both forms and
/// the threshold or level can change without migrating data:
///
/// ```
/// [0x00][payload bytes ...]            raw: payloads of at most 512 bytes, or when
///                                      zstd would not make them smaller
/// [0x01][one zstd frame ...]           compressed; the frame records its content size
/// ```
///
/// Decoding trusts nothing: an empty value, an unknown flag, a frame that is corrupt,
/// claims no size, claims more than `maximumSize` (1 MiB by default) or decodes to a size
/// other than it claimed all throw `ShardsError`; nothing traps, nothing is allocated
/// before the claimed size is checked.
///
/// Value type and `Sendable`: each call uses its own zstd context (zstd sizes the
/// compression context to the input, so small payloads get small tables).
public struct ZstdCodec: Sendable, Hashable {
    /// Flag byte of a payload stored as is.
    public static let rawFlag: UInt8 = 0x00
    /// Flag byte of a payload stored as one zstd frame.
    public static let zstdFlag: UInt8 = 0x01

    /// Payloads longer than this many bytes are compressed (512, DESIGN.md).
    public let threshold: Int
    /// Largest payload accepted, before compression and after decompression.
    public let maximumSize: Int
    /// zstd compression level (3 is zstd's default; lower is faster).
    public let level: Int32

    /// A codec; `level` is clamped to the range zstd supports.
    public init(threshold: Int = 512, maximumSize: Int = 1 << 20, level: Int32 = 3) {
        self.threshold = max(0, threshold)
        self.maximumSize = max(0, maximumSize)
        self.level = min(max(level, ZSTD_minCLevel()), ZSTD_maxCLevel())
    }

    /// The stored form of `payload`: flag byte, then the payload raw or compressed.
    /// Throws `.payloadTooLarge` over `maximumSize` and `.compressionFailed` if zstd fails.
    public func encode(_ payload: [UInt8]) throws(ShardsError) -> [UInt8] {
        guard payload.count <= maximumSize else {
            throw .payloadTooLarge(size: UInt64(payload.count), limit: maximumSize)
        }
        if payload.count > threshold, let compressed = try compress(payload), compressed.count < payload.count + 1 {
            return compressed
        }
        var stored: [UInt8] = []
        stored.reserveCapacity(payload.count + 1)
        stored.append(Self.rawFlag)
        stored.append(contentsOf: payload)
        return stored
    }

    /// The payload of a stored value written by `encode` (either form).
    public func decode(_ stored: [UInt8]) throws(ShardsError) -> [UInt8] {
        guard let flag = stored.first else { throw .corruptPayload("empty value") }
        switch flag {
        case Self.rawFlag:
            guard stored.count - 1 <= maximumSize else {
                throw .payloadTooLarge(size: UInt64(stored.count - 1), limit: maximumSize)
            }
            return Array(stored.dropFirst())
        case Self.zstdFlag:
            return try decompress(stored.dropFirst())
        default:
            throw .unknownPayloadFlag(flag)
        }
    }

    // MARK: - zstd

    /// Flag byte and one zstd frame, or nil when the frame would not be smaller.
    private func compress(_ payload: [UInt8]) throws(ShardsError) -> [UInt8]? {
        let bound = ZSTD_compressBound(payload.count)
        guard ZSTD_isError(bound) == 0, bound > 0 else { throw .compressionFailed("no bound for \(payload.count) bytes") }
        var status = 0
        let stored = payload.withUnsafeBytes { source in
            [UInt8](unsafeUninitializedCapacity: bound + 1) { buffer, initialized in
                guard let base = buffer.baseAddress else { return }
                base.initialize(to: Self.zstdFlag)
                status = ZSTD_compress(base + 1, bound, source.baseAddress, source.count, level)
                initialized = ZSTD_isError(status) == 0 && status <= bound ? 1 + status : 1
            }
        }
        if ZSTD_isError(status) != 0 { throw .compressionFailed(Self.errorName(status)) }
        return stored.count < payload.count + 1 ? stored : nil
    }

    /// The content of one zstd frame, after checking its claimed size against the limit.
    private func decompress(_ frame: ArraySlice<UInt8>) throws(ShardsError) -> [UInt8] {
        var status = 0
        var claimed: UInt64 = 0
        let result = frame.withUnsafeBytes { source -> [UInt8]? in
            claimed = ZSTD_getFrameContentSize(source.baseAddress, source.count)
            guard claimed <= UInt64(maximumSize) else { return nil }  // also ERROR and UNKNOWN
            let size = Int(claimed)
            return [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buffer, initialized in
                status = ZSTD_decompress(buffer.baseAddress, size, source.baseAddress, source.count)
                initialized = ZSTD_isError(status) == 0 && status <= size ? status : 0
            }
        }
        guard let result else {
            switch claimed {
            case Self.contentSizeError: throw .corruptPayload("not a zstd frame")
            case Self.contentSizeUnknown: throw .corruptPayload("zstd frame without a content size")
            default: throw .payloadTooLarge(size: claimed, limit: maximumSize)
            }
        }
        if ZSTD_isError(status) != 0 { throw .corruptPayload(Self.errorName(status)) }
        guard UInt64(result.count) == claimed else { throw .corruptPayload("zstd frame size mismatch") }
        return result
    }

    /// `ZSTD_CONTENTSIZE_ERROR` (`0ULL - 2`; the macro's expression does not import).
    private static let contentSizeError = UInt64.max - 1
    /// `ZSTD_CONTENTSIZE_UNKNOWN` (`0ULL - 1`).
    private static let contentSizeUnknown = UInt64.max

    /// zstd's name for an error code.
    private static func errorName(_ code: Int) -> String {
        guard let name = ZSTD_getErrorName(code) else { return "zstd error \(code)" }
        return String(cString: name)
    }
}
