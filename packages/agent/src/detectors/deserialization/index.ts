export { detectSerializedFunction, functionMarker } from "./serialized-function";
export { detectJavascriptYamlTag, javascriptTagPrefix, type YamlTag } from "./yaml-tags";
