import Hummingbird

/// An error as a page of the dashboard, for a person in a browser.
enum ErrorPage {
    static func make(status: HTTPResponse.Status, message: String, signedIn: Bool) -> Response {
        let title = "\(status.code) \(status.reasonPhrase)"
        let login: HTML = status == .unauthorized ? " · <a href=\"/login\">Log in</a>" : ""
        return DashboardLayout.page(title: title, signedIn: signedIn, status: status, """
            <h1>\(title)</h1>
            <p class="error" id="error-message">\(message)</p>
            <p><a href="/">Pipelines</a>\(login)</p>
            """)
    }
}
