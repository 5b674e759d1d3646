import { describeReadme } from "../src/readme.js";

describeReadme(import.meta.url, "../../../README.md");
