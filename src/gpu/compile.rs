//! The CUDA C kernels and their compilation by NVRTC at run time (cudarc's `nvrtc` bindings).
//!
//! Every kernel file is compiled with `--fmad=false`: CUDA fuses `a·b + c` into one rounding by
//! default, Rust does not, and the ring's distances must equal the CPU's to the last bit. A
//! compile that leaves anything in NVRTC's log (an error or a warning) fails, so that a warning
//! cannot hide in a kernel; the NVRTC test compiles every kernel this way on every CI run.

use std::ffi::{c_char, CString};

use cudarc::nvrtc::result;

use super::{probe, GpuError};

/// One `.cu` file: its name, its source and the kernels (`extern "C" __global__`) it defines.
#[derive(Debug, Clone, Copy)]
pub struct KernelFile {
    /// File name beside the Rust that launches it (`glcm.cu`).
    pub file: &'static str,
    /// CUDA C source.
    pub source: &'static str,
    /// Names of the kernels it defines.
    pub entries: &'static [&'static str],
}

/// Every kernel file of the backend.
pub const KERNEL_FILES: [KernelFile; 6] = [
    KernelFile {
        file: "ring.cu",
        source: include_str!("ring.cu"),
        entries: &["edt_lines", "ring_threshold"],
    },
    KernelFile { file: "discretise.cu", source: include_str!("discretise.cu"), entries: &["discretise"] },
    KernelFile { file: "glcm.cu", source: include_str!("glcm.cu"), entries: &["glcm_counts"] },
    KernelFile { file: "glrlm.cu", source: include_str!("glrlm.cu"), entries: &["glrlm_counts"] },
    KernelFile {
        file: "glszm.cu",
        source: include_str!("glszm.cu"),
        entries: &["glszm_init", "glszm_merge", "glszm_sizes"],
    },
    KernelFile {
        file: "neighbours.cu",
        source: include_str!("neighbours.cu"),
        entries: &["neighbour_tally"],
    },
];

/// Box addressing shared by the texture kernels (`box.cuh`), compiled ahead of every kernel file.
pub const BOX_SOURCE: &str = include_str!("box.cuh");

/// NVRTC options of every kernel (the architecture is added per device).
pub const OPTIONS: [&str; 1] = ["--fmad=false"];

/// Compiles `source` (named `file` in messages), after [`BOX_SOURCE`], to PTX for `arch`
/// (`compute_90`; NVRTC's default when `None`). Fails on any NVRTC error, and on a clean compile
/// that logged a warning; the log names lines of `file` as they are in it.
pub fn compile_ptx(file: &str, source: &str, arch: Option<&str>) -> Result<String, GpuError> {
    probe::probe_nvrtc()?;
    let failed = |log: String| GpuError::Compile { kernel: file.to_owned(), log };
    let whole = format!("{BOX_SOURCE}#line 1 \"{file}\"\n{source}");
    let source_c = CString::new(whole).map_err(|_| failed("source holds a NUL byte".to_owned()))?;
    let name_c = CString::new(file).map_err(|_| failed("name holds a NUL byte".to_owned()))?;
    let program = result::create_program(&source_c, Some(&name_c)).map_err(|e| failed(format!("{e:?}")))?;
    let mut options: Vec<String> = OPTIONS.iter().map(|o| (*o).to_owned()).collect();
    options.extend(arch.map(|a| format!("--gpu-architecture={a}")));
    // SAFETY: `program` was created above and is destroyed once, below, after its last use; the
    // source and name it refers to outlive it.
    let outcome = unsafe {
        let compiled = result::compile_program(program, &options);
        let log = result::get_program_log(program).map(|l| text(&l)).unwrap_or_default();
        let ptx = match compiled {
            Ok(()) if log.trim().is_empty() => {
                result::get_ptx(program).map(|p| text(&p)).map_err(|e| format!("{e:?}"))
            }
            Ok(()) => Err(format!("warnings: {}", log.trim())),
            Err(error) => Err(format!("{error:?}: {}", log.trim())),
        };
        let _ = result::destroy_program(program);
        ptx
    };
    outcome.map_err(failed)
}

/// A NUL-terminated C buffer as text.
fn text(buffer: &[c_char]) -> String {
    let bytes: Vec<u8> = buffer.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}
