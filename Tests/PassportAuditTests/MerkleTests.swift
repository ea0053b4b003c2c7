import PassportModel
import Sodium
import Testing
@testable import PassportAudit

/// A straightforward recursive RFC 6962 implementation, the reference the optimised code is checked against.
enum ReferenceMerkle {
    static func mth(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        if leaves.isEmpty { return SHA256.hash([UInt8]()) }
        if leaves.count == 1 { return Merkle.leafHash(leaves.first!) }
        let k = split(leaves.count)
        let s = leaves.startIndex
        return Merkle.nodeHash(mth(leaves[s..<(s + k)]), mth(leaves[(s + k)...]))
    }

    static func split(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    static func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        if leaves.count <= 1 { return [] }
        let k = split(leaves.count)
        let s = leaves.startIndex
        if m < k { return path(m, leaves[s..<(s + k)]) + [mth(leaves[(s + k)...])] }
        return path(m - k, leaves[(s + k)...]) + [mth(leaves[s..<(s + k)])]
    }

    static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, _ b: Bool) -> [[UInt8]] {
        let n = leaves.count
        if m == n { return b ? [] : [mth(leaves)] }
        let k = split(n)
        let s = leaves.startIndex
        if m <= k { return subproof(m, leaves[s..<(s + k)], b) + [mth(leaves[(s + k)...])] }
        return subproof(m - k, leaves[(s + k)...], false) + [mth(leaves[s..<(s + k)])]
    }
}

/// An in-memory node store built with ``MerkleFrontier``.
struct MemoryNodes: MerkleNodeSource {
    var nodes: [Int: [UInt64: [UInt8]]] = [:]
    var frontier = MerkleFrontier()

    mutating func append(_ data: [UInt8]) {
        for n in frontier.append(leafHash: Merkle.leafHash(data)) { nodes[n.level, default: [:]][n.index] = n.hash }
    }

    func subtreeHash(level: Int, index: UInt64) throws -> [UInt8] {
        guard let h = nodes[level]?[index] else { throw AuditError(.badProof, "missing node \(level)/\(index)") }
        return h
    }
}

@Suite("RFC 6962 / 9162 Merkle tree")
struct MerkleTests {
    static let vectorLeaves: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map { Hex.decode($0)! }
    static let vectorRoots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    @Test func emptyTreeRoot() throws {
        #expect(Hex.encode(Merkle.emptyRoot) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(MerkleFrontier().root) == Hex.encode(Merkle.emptyRoot))
        #expect(try MerkleProver(source: MemoryNodes()).root(size: 0) == Merkle.emptyRoot)
    }

    @Test func certificateTransparencyVectors() throws {
        var store = MemoryNodes()
        for (i, leaf) in Self.vectorLeaves.enumerated() {
            store.append(leaf)
            #expect(Hex.encode(store.frontier.root) == Self.vectorRoots[i])
            #expect(Hex.encode(try MerkleProver(source: store).root(size: UInt64(i + 1))) == Self.vectorRoots[i])
        }
        let prover = MerkleProver(source: store)
        // Known audit path of leaf 5 in the 8-leaf tree.
        #expect(try prover.inclusionProof(index: 5, size: 8).map(Hex.encode) == [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ])
        // Known consistency proof from size 3 to size 8.
        #expect(try prover.consistencyProof(old: 3, new: 8).map(Hex.encode) == [
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ])
    }

    @Test("roots and proofs match the recursive reference for every size up to 300")
    func matchesReferenceForEverySize() throws {
        let leaves = (0..<300).map { i in Array("leaf-\(i)".utf8) }
        var store = MemoryNodes()
        for leaf in leaves { store.append(leaf) }
        let prover = MerkleProver(source: store)
        for n in 1...leaves.count {
            let slice = leaves[0..<n]
            let root = try prover.root(size: UInt64(n))
            #expect(root == ReferenceMerkle.mth(slice))
            // Inclusion: a sample of indexes at each size (all of them for small trees).
            let indexes = n <= 40 ? Array(0..<n) : [0, 1, n / 3, n / 2, n - 2, n - 1]
            for m in indexes {
                let proof = try prover.inclusionProof(index: UInt64(m), size: UInt64(n))
                #expect(proof == ReferenceMerkle.path(m, slice))
                try Merkle.verifyInclusion(
                    leafHash: Merkle.leafHash(leaves[m]), index: UInt64(m), treeSize: UInt64(n), proof: proof, root: root)
            }
            // Consistency from a sample of older sizes.
            let olds = n <= 40 ? Array(1...n) : [1, 2, n / 2, n - 1, n]
            for m in olds {
                let proof = try prover.consistencyProof(old: UInt64(m), new: UInt64(n))
                #expect(proof == ReferenceMerkle.subproof(m, slice, true))
                try Merkle.verifyConsistency(
                    oldSize: UInt64(m), newSize: UInt64(n), oldRoot: ReferenceMerkle.mth(leaves[0..<m]), newRoot: root,
                    proof: proof)
            }
        }
    }

    @Test func rejectsTamperedProofs() throws {
        var store = MemoryNodes()
        for i in 0..<21 { store.append([UInt8(i)]) }
        let prover = MerkleProver(source: store)
        let root = try prover.root(size: 21)
        var proof = try prover.inclusionProof(index: 7, size: 21)
        proof[1][0] ^= 1
        #expect(throws: AuditError.self) {
            try Merkle.verifyInclusion(leafHash: Merkle.leafHash([7]), index: 7, treeSize: 21, proof: proof, root: root)
        }
        let good = try prover.inclusionProof(index: 7, size: 21)
        #expect(throws: AuditError.self) {
            try Merkle.verifyInclusion(leafHash: Merkle.leafHash([8]), index: 7, treeSize: 21, proof: good, root: root)
        }
        #expect(throws: AuditError.self) {
            try Merkle.verifyInclusion(leafHash: Merkle.leafHash([7]), index: 7, treeSize: 21, proof: Array(good.dropLast()), root: root)
        }
        let oldRoot = try prover.root(size: 13)
        var cproof = try prover.consistencyProof(old: 13, new: 21)
        try Merkle.verifyConsistency(oldSize: 13, newSize: 21, oldRoot: oldRoot, newRoot: root, proof: cproof)
        cproof[0][5] ^= 0x80
        #expect(throws: AuditError.self) {
            try Merkle.verifyConsistency(oldSize: 13, newSize: 21, oldRoot: oldRoot, newRoot: root, proof: cproof)
        }
    }

    @Test func frontierRebuildsFromStoredNodes() throws {
        var store = MemoryNodes()
        for i in 0..<77 { store.append([UInt8(i)]) }
        var rebuilt = try MerkleFrontier(size: 77, source: store)
        #expect(rebuilt.root == store.frontier.root)
        rebuilt.append(leafHash: Merkle.leafHash([77]))
        store.append([77])
        #expect(rebuilt.root == store.frontier.root)
    }
}
