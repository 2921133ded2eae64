#pragma once
// The one place where the signed-in console's panels are added (after sign-in, on the GUI thread).
// Panel authors: add your `window.addPanel(...)` line in consolepanels.cpp (additive edit), and
// check context.isAdmin() for panels or actions only administrators may use.

namespace bw::ui {

class MainWindow;
struct ConsoleContext;

// Adds every panel the signed-in user's role allows. MainWindow removes them again on sign-out,
// so panels must not outlive the context (they are deleted, never reused).
void addConsolePanels(MainWindow &window, const ConsoleContext &context);

} // namespace bw::ui
