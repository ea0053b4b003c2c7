import PassportQR
import Testing

@Suite("SVG rendering")
struct QRSVGTests {
    static let uri = "https://id.example.com/01/09506000134352/21/SN-000123"

    @Test(
        "the path's runs redraw exactly the dark modules, at the module size, inside the margin",
        arguments: [(8, 4), (1, 0), (3, 16), (40, 2)])
    func pathMatchesModules(moduleSize: Int, margin: Int) throws {
        let code = try QRCode(encoding: Self.uri)
        let svg = try code.svg(moduleSize: moduleSize, margin: margin)
        let elements = try #require(SVGElements.parse(svg), "the SVG is not well-formed XML")
        let side = (code.size + 2 * margin) * moduleSize

        #expect(elements.map(\.name) == ["svg", "rect", "path"])
        let root = elements[0].attributes
        #expect(root["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(root["viewBox"] == "0 0 \(side) \(side)")
        #expect(root["width"] == "\(side)")
        #expect(root["height"] == "\(side)")
        #expect(root["shape-rendering"] == "crispEdges")
        #expect(elements[1].attributes == ["width": "\(side)", "height": "\(side)", "fill": "#fff"])
        #expect(elements[2].attributes["fill"] == "#000")

        let d = try #require(elements[2].attributes["d"])
        let runs = try #require(pathRuns(d), "path data is not a list of M x y h n v m h -n z runs: \(d.prefix(80))")
        let n = code.size + 2 * margin
        var grid = [Bool](repeating: false, count: n * n)
        for run in runs {
            #expect(run.x % moduleSize == 0 && run.y % moduleSize == 0 && run.width % moduleSize == 0, "\(run)")
            #expect(run.height == moduleSize && run.width > 0, "\(run)")
            let row = run.y / moduleSize
            let first = run.x / moduleSize
            let last = (run.x + run.width) / moduleSize
            try #require(row < n && last <= n, "run outside the image: \(run)")
            for column in first..<last {
                #expect(!grid[row * n + column], "module \(column),\(row) drawn twice")
                grid[row * n + column] = true
            }
        }
        for row in 0..<n {
            for column in 0..<n {
                let expected = code.isDark(x: column - margin, y: row - margin)
                #expect(grid[row * n + column] == expected, "module \(column - margin),\(row - margin)")
            }
        }
    }

    @Test("one path, no stray text: a version 4 code at M is a few kilobytes")
    func compact() throws {
        let svg = try QRCode(encoding: Self.uri).svg()
        #expect(svg.hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 328 328" width="328" height="328""#))
        #expect(svg.hasSuffix(#""/></svg>"#))
        #expect(svg.utf8.count < 12_000)
    }
}
