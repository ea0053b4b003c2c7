import ArgumentParser
import Foundation
import PassportAudit
import PassportDemoData
import PassportIngest
import PassportLedger
import PassportModel
import PassportServer
import Logging

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a demo store and walk through the ledger end to end.",
        discussion: """
            Registers five source systems, appends a realistic data set (battery packs with multi-level BoMs, batches, \
            items, supplier declarations that expire and renew, shipments), feeds one input of each connector (Debezium \
            change events, a PLM BoM export, a GS1 EPCIS document, an attestation CSV, a certificate), shows a rejected \
            event kept in quarantine and a duplicate, a passport at two dates with provenance, a proven field, a \
            checkpoint and a full verify.
            """)

    @Option(help: "Where to create the demo store (replaced if it holds an earlier demo).")
    var store: String = "demo-store"

    @Flag(help: "Then serve the demo store over HTTP until Ctrl-C (what ./demo.sh does; ./demo.sh --no-serve stops after the walk-through).")
    var serve = false
    @Option(help: "Port to serve on with --serve.") var port = 8080
    @Option(help: "Public base URL of links and QR codes with --serve (default http://localhost:PORT).") var publicURL: String?

    static let marker = ".dpp-demo"

    func validate() throws {
        if !(1...65535).contains(port) { throw ValidationError("--port must be 1–65535, got \(port)") }
    }

    func run() throws {
        try guarded {
            let ledger = try runDemo()
            if serve { try serveDemo(ledger) }
        }
    }

    /// Serves the demo store, with a token per restricted tier, printing what to open.
    func serveDemo(_ ledger: Ledger) throws {
        var c = ServerConfiguration()
        c.port = port
        c.publicURL = publicURL
        let tokens = try AccessTokens(store: ledger.directory)
        let authority = try tokens.add(name: "demo-market-surveillance", tier: .authority, source: nil, admin: false).token
        let recycler = try tokens.add(name: "demo-recycler", tier: .legitimateInterest, source: nil, admin: false).token
        let item = DemoDataSet(DemoDataSet.Options()).items[0]
        let base = c.baseURL
        section("Serving the demo store at \(base) (Ctrl-C stops)")
        print("""
            the product's QR code:        \(base)/\(item)/qr.svg
            what the QR code leads to:    \(base)/\(item)            (a browser gets the page, curl the JSON)
            its passport as JSON:         \(base)/passports/\(item)
            its links (RFC 9264):         \(base)/\(item)?linkType=all
            the log's signed checkpoint:  \(base)/checkpoint
            the API (OpenAPI 3.1):        \(base)/openapi.json
            the authority view:           curl -H 'Authorization: Bearer \(authority)' '\(base)/passports/\(item)?view=authority'
            a recycler's view:            curl -H 'Authorization: Bearer \(recycler)' '\(base)/passports/\(item)'
            """)
        let server = PassportServer(ledger: ledger, tokens: tokens, configuration: c)
        _ = bootstrapLogging
        let logger = Logger(label: "dpp.demo")
        try runBlocking { try await server.run(logger: logger) }
    }

    @discardableResult
    func runDemo() throws -> Ledger {
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: store)
        if fm.fileExists(atPath: dir.path) {
            guard fm.fileExists(atPath: dir.appendingPathComponent(Self.marker).path) else {
                throw LedgerError(.alreadyExists, "\(dir.path) exists and is not a demo store; choose another --store")
            }
            try fm.removeItem(at: dir)
        }
        section("Creating the store \(dir.path)")
        let ledger = try Ledger.create(at: dir, origin: "demo.passport-ledger.example/log")
        _ = fm.createFile(atPath: dir.appendingPathComponent(Self.marker).path, contents: Data())
        print("ledger vkey: \(ledger.vkey)")

        section("Registering source systems (private keys 0600 in \(dir.appendingPathComponent("keys").path))")
        for source in DemoDataSet.sources { print("\(source): \(try ledger.addKey(name: source))") }

        let data = DemoDataSet()
        let input = dir.appendingPathComponent("demo-input")
        try fm.createDirectory(at: input, withIntermediateDirectories: true)
        let cmrt = "Smelter Identification,Metal,Smelter Name,Country,RMI Conformant\nCID001100,Cobalt,Example Cobalt Refinery,FI,Yes\nCID002050,Tin,Example Tin Smelter,MY,Yes\n"
        try Data(cmrt.utf8).write(to: input.appendingPathComponent("cmrt-cellco-2026.csv"))

        section("Appending the data set: each source's JSON Lines signed with its key, validated, group-committed")
        for (source, events) in data.events {
            var lines = events.map { CanonicalJSON.string(.object($0)) }
            if source == "supplier-portal" {
                // One declaration with its CMRT spreadsheet attached, and one line a connector got wrong.
                lines.append(#"{"type":"declaration.recorded","subject":"supplier/CELLCO","sourceRef":"CMRT-2026-2-DOC","createdAt":"2026-01-20T10:00:00+01:00","validFrom":"2026-01-01T00:00:00Z","validUntil":"2027-01-01T00:00:00Z","data":{"kind":"sustainability","scope":"cobalt due diligence report"},"attachments":[{"path":"cmrt-cellco-2026.csv"}]}"#)
                lines.append(#"{"type":"declaration.recorded","subject":"supplier/CELLCO","sourceRef":"RC-BAD","createdAt":"2026-02-01T09:00:00Z","data":{"kind":"recycled-content","recycledContentPercent":140}}"#)
            }
            if source == "tms-logistics", let first = lines.first { lines.append(first) }  // a redelivered message
            let file = "\(source).jsonl"
            let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
            try Data(bytes).write(to: input.appendingPathComponent(file))
            let ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: source, baseDirectory: input.path))
            let subs = ingestor.submissions(from: bytes, name: file)
            var appended = 0
            var duplicates = 0
            for (s, o) in zip(subs, try ledger.appendSync(subs)) {
                switch o {
                case .appended: appended += 1
                case .duplicate: duplicates += 1
                    print("  " + describeOutcome(s, o, format: .text))
                case .rejected: print("  " + describeOutcome(s, o, format: .text))
                }
            }
            print("\(file): \(appended) appended" + (duplicates > 0 ? ", \(duplicates) duplicate (nothing written)" : ""))
        }
        print("(rejected lines stay in quarantine: \(Demo.invocation) quarantine list --store \(dir.path))")

        section("ERP change data capture: Debezium change events of production orders, mapped, signed and appended")
        try ingestDebezium(ledger, gtin: String(data.models[0].dropFirst(3)), input: input)

        section("The other connectors: a PLM BoM export, a GS1 EPCIS document, a supplier's attestation CSV, a certificate PDF, a CMRT workbook, an IPC-1752A declaration")
        try feedFileConnectors(ledger, data: data, input: input)

        let item = try Subject(data.items[0])
        section("The passport of item \(item), as a recycler sees it (legitimate interest), valid on 2026-12-01")
        let policy = try ledger.accessPolicy()
        let december = try ledger.passport(item, validAt: try Timestamp(rfc3339: "2026-12-01T00:00:00Z"))
        show(december.view(.legitimateInterest, policy: policy))

        section("The same passport valid on 2027-05-01 — what changed, who wrote it, when")
        let may = try ledger.passport(item, validAt: try Timestamp(rfc3339: "2027-05-01T00:00:00Z"))
        for change in may.view(.legitimateInterest, policy: policy).changes(since: december.view(.legitimateInterest, policy: policy)) {
            switch change {
            case .added(let e): print("added   \(e.path) = \(PassportText.describe(e.field, e.value))  ← #\(e.provenance.index) \(e.provenance.source)")
            case .removed(let e): print("removed \(e.path)")
            case .changed(_, let e): print("changed \(e.path) = \(PassportText.describe(e.field, e.value))  ← #\(e.provenance.index) \(e.provenance.source)")
            }
        }
        print("a consumer (public view) sees \(may.view(.public, policy: policy).entries.count) of the \(may.entries.count) values; an authority sees all")

        section("Proving one value: the carbon footprint the passport shows on 2027-05-01")
        let footprint = may.entry("environment.carbonFootprint")!
        let index = footprint.provenance.index
        let bundle = try ledger.proofBundle(index: index)
        let recordBytes = try ledger.recordBytes(index)
        let proofFile = input.appendingPathComponent("record-\(index).tlog-proof")
        try Data(bundle.text.utf8).write(to: proofFile)
        try Data(recordBytes).write(to: input.appendingPathComponent("record-\(index).json"))
        try Data((ledger.vkey.description + "\n").utf8).write(to: input.appendingPathComponent("ledger.vkey"))
        print(bundle.text, terminator: "")
        let verified = try RecordAudit.verify(
            recordBytes: recordBytes, bundle: try ProofBundle(parsing: String(decoding: try Data(contentsOf: proofFile), as: UTF8.self)),
            ledgerKey: try NoteVerifierKey(parsing: ledger.vkey.description))
        print("offline check with PassportAudit: record \(index) (\(verified.record.event.type) \(verified.record.event.sourceRef)) is in tree size \(verified.checkpoint.size) — verified")

        section("A recall: the cell module lot in \(item)'s pack is found defective — which packs, shipments and markets?")
        try demoRecall(ledger, item: item, input: input)

        section("Latest signed checkpoint (C2SP tlog-checkpoint)")
        print(try ledger.latestCheckpoint(), terminator: "")

        section("Verifying the whole store")
        let report = try ledger.verify()
        if let p = report.problem { throw LedgerError(.notAStore, "demo store failed verification: \(p)") }
        print("intact: \(report.records) records, \(report.checkpoints) checkpoints, \(report.attachments) attachments verified")

        section("Try it yourself (these commands work as printed, from any folder)")
        let dpp = Demo.invocation
        let at = dir.path
        print("""
            \(dpp) passport \(item) --valid-at 2027-05-01 --view authority --store \(at)
            \(dpp) passport diff \(data.models[0]) --from 2026-01-01 --view legitimate-interest --store \(at)
            \(dpp) passport history \(item) --view legitimate-interest --store \(at)
            \(dpp) passport \(item) --valid-at 2027-05-01 --view authority --prove environment.carbonFootprint --output \(at)/proof --store \(at)
            \(dpp) audit verify --vkey \(input.path)/ledger.vkey --proof \(proofFile.path) --record \(input.path)/record-\(index).json
            \(dpp) quarantine list --store \(at)
            \(dpp) types
            \(dpp) verify --store \(at)
            """)
        print("(to type just dpp, as the README's tour does: export PATH=\"\((dpp as NSString).deletingLastPathComponent):$PATH\")")
        return ledger
    }

    /// Traces the sub-assembly lot the item's batch consumed up to every pack, shipment and market,
    /// proves the records it rests on and checks one offline.
    func demoRecall(_ ledger: Ledger, item: Subject, input: URL) throws {
        let down = try ledger.traceDown(item).tree
        // The module lot the item's batch consumed, and the supplier of the module's cells.
        guard let batch = down["batch"]?.objectValue, let module = batch["components"]?.arrayValue?.lazy.compactMap({ $0.objectValue?["batch"]?.objectValue }).first,
            let lot = module["subject"]?.stringValue,
            let supplier = module["components"]?.arrayValue?.compactMap({ $0.objectValue?["supplier"]?.stringValue }).first
        else { throw LedgerError(.notFound, "the demo item's trace names no sub-assembly lot") }
        print("\(item) ← batch \(batch["subject"]?.stringValue ?? "?") ← module lot \(lot) (a component from \(supplier))")
        let (scope, proofs) = try ledger.traceUp(supplier: try Subject(supplier), lot: lot)
        let batches = scope["batches"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let items = scope["items"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let markets = (scope["markets"]?.objectValue ?? [:]).map { "\($0.key) \(CanonicalJSON.string($0.value))" }.sorted()
        let units = scope["logisticUnits"]?.arrayValue?.compactMap(\.stringValue) ?? []
        print("affected: \(batches.count) pack batch(es) \(batches.joined(separator: ", ")); \(items.count) serialised packs; "
            + "\(units.isEmpty ? "" : "\(units.count) pallet(s) \(units.joined(separator: ", ")); ")\(scope["shipments"]?.arrayValue?.count ?? 0) shipments")
        print("units per market: \(markets.joined(separator: ", "))")
        let folder = input.appendingPathComponent("recall-proof")
        let (size, written) = try writeRecordProofs(ledger, proofs, to: folder)
        let first = written.first!
        let verified = try RecordAudit.verify(recordBytes: try ledger.recordBytes(first), bundle: try ledger.proofBundle(index: first, size: size), ledgerKey: ledger.vkey)
        print("the \(written.count) records this rests on, with inclusion proofs at tree size \(size): \(folder.path) (record \(first), \(verified.record.event.type), verified offline)")
        print("(dpp trace supplier \(supplier) --lot \(lot) --format csv gives the shipments; dpp trace item \(item) the tree down)")
    }

    /// Feeds a few Debezium change events (a new production order, its update, a redelivery, a table
    /// the mapping does not know) through the connector, as `dpp ingest debezium` does.
    func ingestDebezium(_ ledger: Ledger, gtin: String, input: URL) throws {
        let mapping = DemoDataSet.erpProductionOrdersMapping
        let mappingFile = input.appendingPathComponent("erp-mapping.yaml")
        try Data(mapping.utf8).write(to: mappingFile)
        func envelope(_ op: String, qty: Int, lsn: Int, table: String = "production_orders") -> String {
            let row = #"{"order_id":4711,"material_gtin":"\#(gtin)","batch_no":"L26W47","qty_done":\#(qty),"plant":"PACK-DE-01","finish_date":20415,"country":"DE"}"#
            return #"{"before":null,"after":\#(row),"source":{"version":"2.7.0.Final","connector":"postgresql","name":"erp","ts_ms":1763900000000,"snapshot":"false","db":"erp","schema":"erp","table":"\#(table)","txId":\#(lsn / 8),"lsn":\#(lsn)},"op":"\#(op)","ts_ms":1763900000001}"#
        }
        let lines = [envelope("c", qty: 480, lsn: 8800), envelope("u", qty: 500, lsn: 8864), envelope("u", qty: 500, lsn: 8864),
            envelope("c", qty: 1, lsn: 8900, table: "goods_receipts")]
        let file = input.appendingPathComponent("erp-changes.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        var ingest = try DebeziumIngest(ledger: ledger, source: "erp-sap", mappingFile: mappingFile.path)
        for (i, line) in lines.enumerated() {
            let origin = "erp-changes.jsonl:\(i + 1)"
            switch try ingest.item(Array(line.utf8), origin: origin) {
            case .skip(let reason): print("  \(origin) skipped: \(reason)")
            case .submit(let s): print("  " + describeOutcome(s, try ledger.appendSync([s])[0], format: .text))
            }
        }
        print("(the order's batch: \(Demo.invocation) passport 01/\(gtin)/10/L26W47 --view legitimate-interest --store \(input.deletingLastPathComponent().path))")
    }

    /// Feeds one input of each file connector, as `dpp ingest bom|epcis|csv|document|cmrt|ipc1752` do.
    func feedFileConnectors(_ ledger: Ledger, data: DemoDataSet, input: URL) throws {
        let model = data.models[0]
        let batch = data.batches[0]
        func run(_ name: String, _ submissions: [Submission]) throws {
            for (s, o) in zip(submissions, try ledger.appendSync(submissions)) { print("  " + describeOutcome(s, o, format: .text)) }
        }
        // PLM: revision C of the pack's BoM, effective mid-2027, the export kept as its attachment.
        let bom = #"{"exportedAt":"2026-11-20T09:00:00Z","exportedBy":"Windchill BoM export","assemblies":[{"assembly":"\#(model)","revision":"C","lifecycle":"Released","effectiveFrom":"2027-06-01","releasedAt":"2026-11-20T08:00:00Z","lines":[{"part":"CELL-MODULE","quantity":4,"massKg":3.4,"material":"NMC811 cells","supplier":"supplier/CELLCO"},{"part":"HOUSING","quantity":1,"massKg":1.9,"material":"recycled aluminium","supplier":"supplier/PACKWELL"}]}]}"#
        try run("bom", BOMIngest(ledger: ledger, source: "plm-windchill").submissions(Array(bom.utf8), format: .json, fileName: "pack-bom-rev-C.json"))
        // TMS: an EPCIS 2.0 document shipping part of a batch to Norway (the GLN's country in its master data).
        let epcis = #"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-11-21T08:00:00Z","epcisHeader":{"epcisMasterData":{"vocabularyList":[{"type":"urn:epcglobal:epcis:vtype:BusinessLocation","vocabularyElementList":[{"id":"https://id.gs1.org/414/7080003000002","attributes":[{"id":"cbvmda:countryCode","attribute":"NO"}]}]}]}},"epcisBody":{"eventList":[{"type":"ObjectEvent","eventID":"urn:uuid:7a1c3e5e-0f4b-4e6a-9d3c-1b2a3c4d5e01","eventTime":"2026-11-21T07:30:00Z","eventTimeZoneOffset":"+01:00","action":"OBSERVE","bizStep":"https://ref.gs1.org/cbv/BizStep-shipping","epcList":[],"quantityList":[{"epcClass":"https://id.gs1.org/\#(batch)","quantity":24,"uom":"EA"}],"destinationList":[{"type":"location","destination":"https://id.gs1.org/414/7080003000002"}]}]}}"#
        let epcisIngest = try EPCISIngest(ledger: ledger, source: "tms-logistics")
        let items = epcisIngest.items(Array(epcis.utf8), input: "shipments.jsonld")
        try run("epcis", items.flatMap(\.submissions))
        // Supplier portal: a recycled-content attestation CSV with its column mapping.
        let mapping = input.appendingPathComponent("attestations.yaml")
        try Data("version: 1\ncolumns:\n  supplier: supplier_id\n  id: attestation_no\n  kind: declaration_type\n  scope: material\n  recycledContentPercent: recycled_pct\n  validFrom: valid_from\n  validUntil: valid_to\n".utf8).write(to: mapping)
        let csv = "supplier_id,attestation_no,declaration_type,material,recycled_pct,valid_from,valid_to\nCELLCO,RC-2027-7,recycled-content,cathode active material,12,2027-01-01,2028-01-01\n"
        try run("csv", AttestationIngest(ledger: ledger, source: "supplier-portal", mappingFile: mapping.path).submissions(Array(csv.utf8), fileName: "attestations.csv"))
        // QA lab: a test certificate kept as its attachment, its metadata from a sidecar.
        let pdf = input.appendingPathComponent("iec62619-certificate.pdf")
        try Data("%PDF-1.4\n% IEC 62619 certificate (demo)\n%%EOF\n".utf8).write(to: pdf)
        try Data(#"{"type":"certification","subject":"\#(model)","id":"IEC62619-2026-3","scheme":"IEC 62619","issuer":"Example Test House","validFrom":"2026-10-01","validUntil":"2029-10-01"}"#.utf8)
            .write(to: input.appendingPathComponent("iec62619-certificate.pdf.json"))
        try run("document", [DocumentIngest(ledger: ledger, source: "qa-lab").submission(path: pdf.path, options: [:])])
        // Supplier portal: the cell maker's conflict-minerals report (an RMI CMRT workbook).
        let cmrt = input.appendingPathComponent("cellco-cmrt.xlsx")
        try Data(try XLSXFixture.workbook(XLSXFixture.cmrt(company: "CellCo Components GmbH", companyID: "CELLCO"))).write(to: cmrt)
        try run("cmrt", [CMRTIngest(ledger: ledger, source: "supplier-portal").submission(path: cmrt.path, options: ["supplier": "supplier/CELLCO"])])
        // PLM: the battery management board's IPC-1752A material declaration, as its composition.
        let bms = "01/" + DemoDataSet.gtin(900)
        let ipc = input.appendingPathComponent("bms-ipc1752a.xml")
        try Data(Self.bmsDeclaration.utf8).write(to: ipc)
        try run("ipc1752", IPC1752Ingest(ledger: ledger, source: "plm-windchill").submissions(path: ipc.path, options: ["subject": bms]))
        print("(the same verbs for your files: \(Demo.invocation) ingest bom|epcis|csv|document|cmrt|ipc1752 --help; the batch's shipments: \(Demo.invocation) passport \(batch) --view legitimate-interest --store \(input.deletingLastPathComponent().path))")
    }

    /// A class C IPC-1752A declaration of a battery management board (FR-4, SnAgCu solder with a
    /// trace of lead, PVC insulation with DEHP): three homogeneous materials, two substances of concern.
    static let bmsDeclaration = """
        <?xml version="1.0" encoding="UTF-8"?>
        <MainDeclaration xmlns="http://webstds.ipc.org/175x/2.0" version="2.0" class="C">
          <BusinessInfo><Response responseDate="2026-11-18" responseID="ELEKTRA-MD-2026-0042"/><Supplier company="Elektra Components GmbH"/></BusinessInfo>
          <SubstanceCategoryList listName="EU RoHS Annex II; REACH Candidate List">
            <SubstanceCategory name="Lead and its compounds"><Substance name="Lead"><SubstanceID identity="7439-92-1" authority="CAS"/></Substance></SubstanceCategory>
            <SubstanceCategory name="Phthalates"><Substance name="Bis(2-ethylhexyl) phthalate (DEHP)"><SubstanceID identity="117-81-7" authority="CAS"/></Substance></SubstanceCategory>
          </SubstanceCategoryList>
          <Product>
            <ProductID itemNumber="BMS-48V" itemName="battery management system"/>
            <MaterialInfo><HomogeneousMaterialList>
              <HomogeneousMaterial name="FR-4 laminate"><Amount value="500" UOM="g"/>
                <Substance name="Glass fibre"><SubstanceID identity="65997-17-3" authority="CAS"/><Amount value="300" UOM="g"/></Substance>
                <Substance name="Epoxy resin"><SubstanceID identity="25068-38-6" authority="CAS"/><Amount value="200" UOM="g"/></Substance>
              </HomogeneousMaterial>
              <HomogeneousMaterial name="Solder alloy SnAgCu"><Amount value="50" UOM="g"/>
                <Substance name="Tin"><SubstanceID identity="7440-31-5" authority="CAS"/><Amount value="48.3" UOM="g"/></Substance>
                <Substance name="Silver"><SubstanceID identity="7440-22-4" authority="CAS"/><Amount value="1.5" UOM="g"/></Substance>
                <Substance name="Lead"><SubstanceID identity="7439-92-1" authority="CAS"/><Amount value="50" UOM="mg"/></Substance>
              </HomogeneousMaterial>
              <HomogeneousMaterial name="PVC cable insulation"><Amount value="0.3" UOM="kg"/>
                <Substance name="Polyvinyl chloride"><SubstanceID identity="9002-86-2" authority="CAS"/><Amount value="285" UOM="g"/></Substance>
                <Substance name="Bis(2-ethylhexyl) phthalate (DEHP)"><SubstanceID identity="117-81-7" authority="CAS"/><Amount value="0.24" UOM="g"/></Substance>
              </HomogeneousMaterial>
            </HomogeneousMaterialList></MaterialInfo>
          </Product>
        </MainDeclaration>
        """

    func show(_ p: Passport) {
        for line in PassportText.lines(p, tier: p.view ?? .authority).dropFirst() { print(line) }
    }

    /// How to run this dpp from any folder: its absolute path.
    static var invocation: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).standardizedFileURL.path
    }

    func section(_ title: String) {
        print("\n== \(title)")
    }
}
