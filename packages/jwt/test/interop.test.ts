import { describeInterop } from "./interop-suite.js";

describeInterop("jose (installed)");
