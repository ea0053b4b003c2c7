import PassportModel
import Sodium

/// RFC 9162 (RFC 6962) Merkle tree hashing over SHA-256.
public enum Merkle {
    /// Hash of the empty tree: SHA-256 of the empty string.
    public static let emptyRoot: [UInt8] = SHA256.hash([UInt8]())

    /// Leaf hash: `SHA-256(0x00 || data)`.
    public static func leafHash(_ data: [UInt8]) -> [UInt8] {
        var prefix: UInt8 = 0
        return withUnsafeBytes(of: &prefix) { p in
            data.withUnsafeBytes { d in SHA256.hash(parts: [p, d]) }
        }
    }

    /// Interior node hash: `SHA-256(0x01 || left || right)`.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var prefix: UInt8 = 1
        return withUnsafeBytes(of: &prefix) { p in
            left.withUnsafeBytes { l in right.withUnsafeBytes { r in SHA256.hash(parts: [p, l, r]) } }
        }
    }

    /// The largest power of two strictly less than `n` (n ≥ 2).
    static func split(_ n: UInt64) -> UInt64 {
        var k: UInt64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
    /// - Throws: ``AuditError`` if the proof does not lead to `root`.
    public static func verifyInclusion(
        leafHash: [UInt8], index: UInt64, treeSize: UInt64, proof: [[UInt8]], root: [UInt8]
    ) throws(AuditError) {
        guard index < treeSize else {
            throw AuditError(.badProof, "leaf index \(index) is not below tree size \(treeSize)")
        }
        var fn = index
        var sn = treeSize - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { throw AuditError(.badProof, "inclusion proof is longer than the tree is deep") }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw AuditError(.badProof, "inclusion proof is shorter than the tree is deep") }
        guard r == root else { throw AuditError(.badProof, "inclusion proof does not lead to the root hash") }
    }

    /// Verifies a consistency proof between two tree sizes (RFC 9162 §2.1.4.2).
    /// - Throws: ``AuditError`` if the older tree is not a prefix of the newer one.
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]
    ) throws(AuditError) {
        guard oldSize <= newSize else { throw AuditError(.badProof, "old size \(oldSize) is larger than new size \(newSize)") }
        if oldSize == newSize {
            guard proof.isEmpty else { throw AuditError(.badProof, "proof between equal sizes must be empty") }
            guard oldRoot == newRoot else { throw AuditError(.badProof, "roots differ at equal tree sizes") }
            return
        }
        if oldSize == 0 {
            guard proof.isEmpty else { throw AuditError(.badProof, "proof from the empty tree must be empty") }
            return
        }
        guard !proof.isEmpty else { throw AuditError(.badProof, "consistency proof is empty") }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { throw AuditError(.badProof, "consistency proof is too long") }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw AuditError(.badProof, "consistency proof is too short") }
        guard fr == oldRoot else { throw AuditError(.badProof, "consistency proof does not lead to the old root") }
        guard sr == newRoot else { throw AuditError(.badProof, "consistency proof does not lead to the new root") }
    }
}

/// Where a prover reads the hashes of complete, aligned subtrees.
///
/// `subtreeHash(level: l, index: i)` is the root of leaves `[i·2^l, (i+1)·2^l)`; level 0 holds
/// leaf hashes. Only subtrees that lie entirely within the tree are ever asked for.
public protocol MerkleNodeSource {
    /// The hash of a complete subtree.
    func subtreeHash(level: Int, index: UInt64) throws -> [UInt8]
}

/// Computes roots and RFC 9162 proofs for any tree size from stored complete-subtree hashes.
///
/// - Complexity: O(log² n) node reads per proof in the worst case, O(log n) typically.
public struct MerkleProver<Source: MerkleNodeSource> {
    /// Where the node hashes come from.
    public let source: Source

    /// Creates a prover.
    public init(source: Source) { self.source = source }

    /// MTH of leaves `[start, end)`, where `start` is aligned to the largest power of two below the range size.
    func hash(_ start: UInt64, _ end: UInt64) throws -> [UInt8] {
        let n = end - start
        if n & (n - 1) == 0 {
            let level = n.trailingZeroBitCount
            return try source.subtreeHash(level: level, index: start >> UInt64(level))
        }
        let k = Merkle.split(n)
        return Merkle.nodeHash(try hash(start, start + k), try hash(start + k, end))
    }

    /// The root hash of the tree of the first `size` leaves.
    public func root(size: UInt64) throws -> [UInt8] {
        size == 0 ? Merkle.emptyRoot : try hash(0, size)
    }

    /// The inclusion proof (audit path) of leaf `index` in the tree of `size` leaves.
    public func inclusionProof(index: UInt64, size: UInt64) throws -> [[UInt8]] {
        guard index < size else { throw AuditError(.badProof, "index \(index) is not below tree size \(size)") }
        var proof: [[UInt8]] = []
        try path(index, 0, size, into: &proof)
        return proof
    }

    private func path(_ m: UInt64, _ start: UInt64, _ end: UInt64, into proof: inout [[UInt8]]) throws {
        let n = end - start
        if n <= 1 { return }
        let k = Merkle.split(n)
        if m < k {
            try path(m, start, start + k, into: &proof)
            proof.append(try hash(start + k, end))
        } else {
            try path(m - k, start + k, end, into: &proof)
            proof.append(try hash(start, start + k))
        }
    }

    /// The consistency proof from tree size `old` to tree size `new`.
    public func consistencyProof(old: UInt64, new: UInt64) throws -> [[UInt8]] {
        guard old <= new else { throw AuditError(.badProof, "old size \(old) is larger than new size \(new)") }
        if old == 0 || old == new { return [] }
        var proof: [[UInt8]] = []
        try subproof(old, 0, new, true, into: &proof)
        return proof
    }

    private func subproof(_ m: UInt64, _ start: UInt64, _ end: UInt64, _ complete: Bool, into proof: inout [[UInt8]]) throws {
        let n = end - start
        if m == n {
            if !complete { proof.append(try hash(start, end)) }
            return
        }
        let k = Merkle.split(n)
        if m <= k {
            try subproof(m, start, start + k, complete, into: &proof)
            proof.append(try hash(start + k, end))
        } else {
            try subproof(m - k, start + k, end, false, into: &proof)
            proof.append(try hash(start, start + k))
        }
    }
}

/// The right edge of a Merkle tree under construction: enough to append leaves and compute the root.
///
/// Appending reports every complete subtree the new leaf finishes, which is exactly what a
/// ``MerkleNodeSource`` needs to store.
public struct MerkleFrontier: Sendable {
    /// Number of leaves so far.
    public private(set) var size: UInt64
    /// Complete subtree roots along the right edge, largest first, as (level, hash).
    private var stack: [(level: Int, hash: [UInt8])]

    /// An empty tree.
    public init() {
        size = 0
        stack = []
    }

    /// Rebuilds the frontier of a tree of `size` leaves from stored subtree hashes (O(log n) reads).
    public init(size: UInt64, source: some MerkleNodeSource) throws {
        self.size = size
        stack = []
        var offset: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (UInt64(1) << UInt64(level)) != 0 {
            stack.append((level, try source.subtreeHash(level: level, index: offset >> UInt64(level))))
            offset += UInt64(1) << UInt64(level)
        }
    }

    /// A node that became complete: store it under (level, index).
    public struct Node: Sendable {
        /// Height of the subtree (0 for a leaf).
        public let level: Int
        /// Position of the subtree among those of its level.
        public let index: UInt64
        /// The subtree's root hash.
        public let hash: [UInt8]
    }

    /// Appends a leaf hash; returns the leaf node and every interior node it completed.
    @discardableResult
    public mutating func append(leafHash: [UInt8]) -> [Node] {
        var created = [Node(level: 0, index: size, hash: leafHash)]
        var level = 0
        var hash = leafHash
        while let last = stack.last, last.level == level {
            stack.removeLast()
            hash = Merkle.nodeHash(last.hash, hash)
            level += 1
            created.append(Node(level: level, index: size >> UInt64(level), hash: hash))
        }
        stack.append((level, hash))
        size += 1
        return created
    }

    /// The root hash of the tree so far.
    public var root: [UInt8] {
        guard var r = stack.last?.hash else { return Merkle.emptyRoot }
        for node in stack.dropLast().reversed() { r = Merkle.nodeHash(node.hash, r) }
        return r
    }
}
