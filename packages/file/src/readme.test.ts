import { describeReadme } from "@keyprovider/repo-tools/readme";

describeReadme(import.meta.url);
