// The zod (version 3) the generated client is built with, for the
// hand-written schema of the README's /schemas workaround.
export { z } from "zod";
