import type { InputCollector } from "./input-collector";

/** The fields that multer sets on the request: `file` (single) and `files` (array or by field). */
export interface UploadHolder {
  file?: unknown;
  files?: unknown;
}

/** A file part of a multipart body read from the captured bytes: its form field and file name. */
export interface UploadedFileName {
  readonly field: string;
  readonly name: string;
}

/** Most uploaded files whose names become inputs; multer's own `files` limit is usually far lower. */
const maxFiles = 256;

interface MulterFile {
  fieldname?: unknown;
  originalname?: unknown;
}

function addMulterFile(file: unknown, collector: InputCollector): void {
  if (typeof file !== "object" || file === null) return;

  const { fieldname, originalname } = file as MulterFile;
  if (typeof originalname !== "string") return;
  const field = typeof fieldname === "string" ? fieldname : "file";
  collector.addString("body", `files.${field}.originalname`, originalname);
}

/** Lists multer's files: `req.files` is an array (`array`, `any`) or an object of arrays (`fields`). */
function multerFiles(holder: UploadHolder): unknown[] {
  const files: unknown[] = [];
  if (holder.file !== undefined) files.push(holder.file);

  const { files: byField } = holder;
  if (Array.isArray(byField)) files.push(...byField.slice(0, maxFiles));
  else if (typeof byField === "object" && byField !== null) {
    for (const list of Object.values(byField)) {
      if (Array.isArray(list)) files.push(...list.slice(0, maxFiles));
      if (files.length >= maxFiles) break;
    }
  }
  return files.slice(0, maxFiles);
}

/**
 * Adds the client's names of uploaded files as inputs: multer's `originalname`
 * (`files.<field>.originalname`), or the `filename` of the file parts found in a captured
 * multipart body (`files.<field>.filename`). Apps join these names into paths and SQL.
 */
export function collectUploadedFileNames(
  holder: UploadHolder,
  captured: readonly UploadedFileName[] | undefined,
  collector: InputCollector,
): void {
  if (holder.file !== undefined || holder.files !== undefined) {
    for (const file of multerFiles(holder)) addMulterFile(file, collector);
  }

  if (captured === undefined) return;
  for (const file of captured)
    collector.addString("body", `files.${file.field}.filename`, file.name);
}
