import CCairo
import Foundation
import PulseCommon

/// Why cairo could not produce a document.
public struct PDFCanvasError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// A PDF document drawn page by page into memory: the only code that imports cairo (house rule: one wrapper per C
/// library). Coordinates are PDF points (1/72 inch) from the page's top-left corner.
///
/// cairo's PDF surface embeds subsets of the fonts it uses (DejaVu Sans through fontconfig) and writes the
/// metadata given here. One canvas belongs to one thread; it is not `Sendable`.
final class PDFCanvas {
    struct Color: Equatable {
        var red: Double
        var green: Double
        var blue: Double
        var alpha: Double = 1

        static let black = Color(red: 0.1, green: 0.1, blue: 0.12)
        static let white = Color(red: 1, green: 1, blue: 1)
    }

    struct Point: Equatable {
        var x: Double
        var y: Double
    }

    struct Rect: Equatable {
        var x: Double
        var y: Double
        var width: Double
        var height: Double
    }

    enum Weight { case regular, bold }
    enum Alignment { case left, center, right }

    struct Metadata {
        var title: String
        var author = "Pulse"
        var subject = ""
        var creator = "Pulse \(PulseVersion.current)"
        var created: Date
    }

    let width: Double
    let height: Double
    /// 1-based number of the page being drawn.
    private(set) var page = 1
    private let sink = PDFByteSink()
    private let surface: OpaquePointer
    private let cr: OpaquePointer
    private var finished = false
    private var font: (size: Double, weight: Weight)?
    static let fontFamily = "DejaVu Sans"

    init(width: Double, height: Double, metadata: Metadata) throws(PDFCanvasError) {
        self.width = width
        self.height = height
        let closure = Unmanaged.passUnretained(sink).toOpaque()
        guard let surface = cairo_pdf_surface_create_for_stream(pdfCanvasWrite, closure, width, height) else {
            throw PDFCanvasError(description: "cairo could not create a PDF surface")
        }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS, let cr = cairo_create(surface) else {
            cairo_surface_destroy(surface)
            throw PDFCanvasError(description: "cairo: " + String(cString: cairo_status_to_string(status)))
        }
        self.surface = surface
        self.cr = cr
        cairo_pdf_surface_restrict_to_version(surface, CAIRO_PDF_VERSION_1_5)
        let printable = Self.printable
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, printable(metadata.title))
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, printable(metadata.author))
        if !metadata.subject.isEmpty {
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_SUBJECT, printable(metadata.subject))
        }
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, printable(metadata.creator))
        // ISO 8601 as cairo wants it: YYYY-MM-DDThh:mm:ss with Z.
        let created = RFC3339.format(Date(timeIntervalSince1970: metadata.created.timeIntervalSince1970.rounded(.down)))
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, created)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE, created)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    // MARK: Pages

    /// Ends the current page and starts the next.
    func nextPage() {
        cairo_show_page(cr)
        page += 1
    }

    /// A bookmark in the viewer's outline pointing at `y` on `page`.
    func addOutline(_ title: String, page: Int, y: Double) {
        let target = "page=\(page) pos=[0 \(Int(y.rounded()))]"
        _ = cairo_pdf_surface_add_outline(surface, Int32(CAIRO_PDF_OUTLINE_ROOT), Self.printable(title), target,
                                          cairo_pdf_outline_flags_t(rawValue: 0))
    }

    /// Closes the document and returns its bytes.
    func finish() throws(PDFCanvasError) -> [UInt8] {
        guard !finished else { return sink.bytes }
        finished = true
        let drawing = cairo_status(cr)
        cairo_surface_finish(surface)
        let status = drawing != CAIRO_STATUS_SUCCESS ? drawing : cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw PDFCanvasError(description: "cairo: " + String(cString: cairo_status_to_string(status)))
        }
        return sink.bytes
    }

    // MARK: Shapes

    func fill(_ rect: Rect, _ color: Color) {
        set(color)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_fill(cr)
    }

    func stroke(_ rect: Rect, _ color: Color, width: Double = 0.5) {
        set(color)
        cairo_set_line_width(cr, width)
        cairo_set_dash(cr, nil, 0, 0)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_stroke(cr)
    }

    /// A line through `points` (at least two); `dash` is on/off lengths, empty for solid.
    func polyline(_ points: [Point], _ color: Color, width: Double, dash: [Double] = []) {
        guard let first = points.first, points.count >= 2 else { return }
        set(color)
        cairo_set_line_width(cr, width)
        dash.withUnsafeBufferPointer { cairo_set_dash(cr, $0.baseAddress, Int32($0.count), 0) }
        cairo_move_to(cr, first.x, first.y)
        for point in points.dropFirst() { cairo_line_to(cr, point.x, point.y) }
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    func line(_ from: Point, _ to: Point, _ color: Color, width: Double, dash: [Double] = []) {
        polyline([from, to], color, width: width, dash: dash)
    }

    /// A filled closed shape.
    func fillPolygon(_ points: [Point], _ color: Color) {
        guard let first = points.first, points.count >= 3 else { return }
        set(color)
        cairo_move_to(cr, first.x, first.y)
        for point in points.dropFirst() { cairo_line_to(cr, point.x, point.y) }
        cairo_close_path(cr)
        cairo_fill(cr)
    }

    /// Draws inside `rect` only.
    func clipped(to rect: Rect, _ draw: () -> Void) {
        cairo_save(cr)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_clip(cr)
        draw()
        cairo_restore(cr)
    }

    // MARK: Text

    /// Draws one line of text with its baseline at `y`; `x` is the left edge, centre or right edge by `alignment`.
    func text(_ string: String, x: Double, y: Double, size: Double, weight: Weight = .regular,
              color: Color = .black, alignment: Alignment = .left) {
        let line = Self.printable(string)
        guard !line.isEmpty else { return }
        select(size: size, weight: weight)
        set(color)
        var start = x
        if alignment != .left {
            let advance = width(of: line)
            start -= alignment == .right ? advance : advance / 2
        }
        cairo_move_to(cr, start, y)
        cairo_show_text(cr, line)
    }

    /// The advance width of one line of text.
    func textWidth(_ string: String, size: Double, weight: Weight = .regular) -> Double {
        select(size: size, weight: weight)
        return width(of: Self.printable(string))
    }

    /// `string`, shortened with `…` so it fits `maxWidth`.
    func fitted(_ string: String, maxWidth: Double, size: Double, weight: Weight = .regular) -> String {
        let line = Self.printable(string)
        guard textWidth(line, size: size, weight: weight) > maxWidth else { return line }
        var characters = Array(line)
        while !characters.isEmpty, textWidth(String(characters) + "…", size: size, weight: weight) > maxWidth {
            characters.removeLast(max(1, characters.count / 8))
        }
        return String(characters) + "…"
    }

    private func width(of line: String) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, line, &extents)
        return extents.x_advance
    }

    private func select(size: Double, weight: Weight) {
        if let font, font.size == size, font.weight == weight { return }
        cairo_select_font_face(cr, Self.fontFamily, CAIRO_FONT_SLANT_NORMAL,
                               weight == .bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
        font = (size, weight)
    }

    private func set(_ color: Color) {
        cairo_set_source_rgba(cr, color.red, color.green, color.blue, color.alpha)
    }

    /// One line without control characters (which would end the C string or draw nothing useful).
    static func printable(_ string: String) -> String {
        String(String.UnicodeScalarView(string.unicodeScalars.map {
            $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : $0
        }))
    }
}

/// cairo's write callback: appends to the canvas's sink (passed unretained; the canvas outlives its surface).
private func pdfCanvasWrite(_ closure: UnsafeMutableRawPointer?, _ data: UnsafePointer<UInt8>?,
                            _ length: UInt32) -> cairo_status_t {
    guard let closure else { return CAIRO_STATUS_WRITE_ERROR }
    guard length > 0 else { return CAIRO_STATUS_SUCCESS }
    guard let data else { return CAIRO_STATUS_WRITE_ERROR }
    let sink = Unmanaged<PDFByteSink>.fromOpaque(closure).takeUnretainedValue()
    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
    return CAIRO_STATUS_SUCCESS
}

/// Receives cairo's output through the write callback.
private final class PDFByteSink {
    var bytes: [UInt8] = []
}
