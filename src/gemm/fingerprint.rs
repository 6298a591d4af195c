//! The bit-for-bit fingerprint of a GEMM's result C, and how two results of the same inputs
//! differ. A sustained run checks every operand set's C against the first result of that set
//! this way: a deterministic kernel gives the same bits for the same inputs every time, so any
//! difference is a fault (silent data corruption), however small; the f64 reference check
//! alone lets a flipped low mantissa bit through.
//!
//! The digest is the wrapping sum over C's 32-bit words w_i (little-endian, the tail padded
//! with zeros) of `mix(i, w_i)`: an order-free sum, so a GPU adds the words' terms with integer
//! atomics in any order and gets the host's number (kernels/cuda/fingerprint.cu computes it on
//! the device). One changed word changes the sum (unless two 64-bit mixes collide).

/// How C's elements are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    F64,
    F32,
    Bf16,
    F16,
    I32,
}

impl Element {
    pub fn bytes(self) -> usize {
        match self {
            Element::F64 => 8,
            Element::F32 | Element::I32 => 4,
            Element::Bf16 | Element::F16 => 2,
        }
    }

    /// Element `i` of `bytes` (little-endian) as a number.
    pub fn value(self, bytes: &[u8], i: usize) -> f64 {
        let at = &bytes[i * self.bytes()..(i + 1) * self.bytes()];
        match self {
            Element::F64 => f64::from_le_bytes(at.try_into().expect("8 bytes")),
            Element::F32 => f64::from(f32::from_le_bytes(at.try_into().expect("4 bytes"))),
            Element::I32 => f64::from(i32::from_le_bytes(at.try_into().expect("4 bytes"))),
            Element::Bf16 => half::bf16::from_le_bytes([at[0], at[1]]).to_f64(),
            Element::F16 => half::f16::from_le_bytes([at[0], at[1]]).to_f64(),
        }
    }
}

/// One operand set's C as stored (padding included), copied to the host: `products` matrices
/// of `rows` x `row_len` elements, one after the other.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultC {
    pub element: Element,
    pub rows: usize,
    pub row_len: usize,
    pub bytes: Vec<u8>,
}

impl ResultC {
    /// C from f32 values.
    pub fn f32(rows: usize, row_len: usize, values: impl IntoIterator<Item = f32>) -> ResultC {
        let bytes = values.into_iter().flat_map(f32::to_le_bytes).collect();
        ResultC {
            element: Element::F32,
            rows,
            row_len,
            bytes,
        }
    }

    /// C from f64 values.
    pub fn f64(rows: usize, row_len: usize, values: impl IntoIterator<Item = f64>) -> ResultC {
        let bytes = values.into_iter().flat_map(f64::to_le_bytes).collect();
        ResultC {
            element: Element::F64,
            rows,
            row_len,
            bytes,
        }
    }

    pub fn elements(&self) -> usize {
        self.bytes.len() / self.element.bytes()
    }

    pub fn fingerprint(&self) -> Fingerprint {
        digest(&self.bytes)
    }
}

/// The digest of one C (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub u64);

/// The golden-ratio step of splitmix64, which spreads the word's index over the key.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// splitmix64's finalizer of `i * GOLDEN + w` (Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014): the term word `w` at index `i` adds.
pub fn mix(i: u64, w: u32) -> u64 {
    let mut z = i.wrapping_mul(GOLDEN).wrapping_add(u64::from(w));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The digest of `bytes`, as kernels/cuda/fingerprint.cu computes it on a GPU.
pub fn digest(bytes: &[u8]) -> Fingerprint {
    let mut d = Digest::default();
    d.add(bytes);
    d.finish()
}

/// A digest built piece by piece: the same as `digest` of the pieces one after the other, as
/// long as every piece but the last is whole words (a matrix digested column by column).
#[derive(Debug, Default)]
pub struct Digest {
    sum: u64,
    words: u64,
}

impl Digest {
    pub fn add(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(4);
        for w in words.by_ref() {
            let w = u32::from_le_bytes(w.try_into().expect("4 bytes"));
            self.sum = self.sum.wrapping_add(mix(self.words, w));
            self.words += 1;
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let mut w = [0u8; 4];
            w[..tail.len()].copy_from_slice(tail);
            self.sum = self
                .sum
                .wrapping_add(mix(self.words, u32::from_le_bytes(w)));
            self.words += 1;
        }
    }

    pub fn finish(self) -> Fingerprint {
        Fingerprint(self.sum)
    }
}

/// Where an element sits: the product of a batch, its row and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub product: usize,
    pub row: usize,
    pub col: usize,
}

/// How a result differs from the first result of the same inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Elements whose bits differ, of all elements.
    pub elements: u64,
    pub of: u64,
    /// The element that moved most, its first value and its value now.
    pub worst: Position,
    pub was: f64,
    pub now: f64,
    /// |now - was| of that element (infinite when it is no longer a finite number).
    pub max_abs: f64,
    /// max_abs over |was| (infinite when was is 0).
    pub max_rel: f64,
    /// Bits that differ in that element.
    pub bits: u32,
}

/// The difference of `now` from `first`, or None when they are the same bits. Results of
/// different sizes or element types are different through and through.
pub fn compare(first: &ResultC, now: &ResultC) -> Option<Difference> {
    if first.bytes == now.bytes {
        return None;
    }
    let e = first.element;
    let n = first.elements().min(now.elements());
    let size = e.bytes();
    let mut diff = Difference {
        elements: first.elements().abs_diff(now.elements()) as u64,
        of: first.elements() as u64,
        worst: position(first, 0),
        was: f64::NAN,
        now: f64::NAN,
        max_abs: -1.0,
        max_rel: 0.0,
        bits: 0,
    };
    for i in 0..n {
        let (a, b) = (
            &first.bytes[i * size..(i + 1) * size],
            &now.bytes[i * size..(i + 1) * size],
        );
        if a == b {
            continue;
        }
        diff.elements += 1;
        let (was, is) = (e.value(&first.bytes, i), e.value(&now.bytes, i));
        let abs = if was.is_finite() && is.is_finite() {
            (is - was).abs()
        } else {
            f64::INFINITY
        };
        if abs > diff.max_abs {
            diff.max_abs = abs;
            diff.max_rel = if was != 0.0 {
                abs / was.abs()
            } else {
                f64::INFINITY
            };
            diff.worst = position(first, i);
            (diff.was, diff.now) = (was, is);
            diff.bits = a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum();
        }
    }
    diff.max_abs = diff.max_abs.max(0.0);
    Some(diff)
}

fn position(c: &ResultC, i: usize) -> Position {
    let per_product = (c.rows * c.row_len).max(1);
    let row_len = c.row_len.max(1);
    Position {
        product: i / per_product,
        row: i % per_product / row_len,
        col: i % row_len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_flipped_bit_anywhere_changes_the_fingerprint() {
        let c = ResultC::f32(3, 5, (0..15).map(|x| x as f32 * 0.37 - 2.0));
        let base = c.fingerprint();
        for byte in 0..c.bytes.len() {
            for bit in 0..8 {
                let mut d = c.clone();
                d.bytes[byte] ^= 1 << bit;
                assert_ne!(d.fingerprint(), base, "byte {byte} bit {bit}");
            }
        }
        // Swapping two words changes it too: the index is in every term.
        let mut swapped = c.clone();
        swapped.bytes.swap(0, 4);
        swapped.bytes.swap(1, 5);
        swapped.bytes.swap(2, 6);
        swapped.bytes.swap(3, 7);
        assert_ne!(swapped.fingerprint(), base);
    }

    #[test]
    fn the_digest_is_the_order_free_sum_the_gpu_kernel_computes() {
        // Two words and a 2-byte tail, summed by hand.
        let bytes = [1u8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 7, 9];
        let want = mix(0, 1)
            .wrapping_add(mix(1, u32::MAX))
            .wrapping_add(mix(2, 7 | (9 << 8)));
        assert_eq!(digest(&bytes), Fingerprint(want));
        // Piece by piece, whole words first: the same.
        let mut d = Digest::default();
        d.add(&bytes[..4]);
        d.add(&bytes[4..]);
        assert_eq!(d.finish(), Fingerprint(want));
        // splitmix64's first output from seed 0 is its finalizer of GOLDEN (i = 1, w = 0).
        assert_eq!(mix(1, 0), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn a_difference_names_its_element_and_its_size() {
        let first = ResultC::f32(2, 3, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(compare(&first, &first.clone()), None);
        // The last mantissa bit of C[1, 2] (6.0) flipped, and C[0, 1] off by 0.5.
        let mut now = first.clone();
        now.bytes[5 * 4] ^= 1;
        let mut half = now.clone();
        half.bytes[4..8].copy_from_slice(&2.5f32.to_le_bytes());
        let d = compare(&first, &now).unwrap();
        assert_eq!((d.elements, d.of, d.bits), (1, 6, 1));
        assert_eq!(
            d.worst,
            Position {
                product: 0,
                row: 1,
                col: 2
            }
        );
        assert_eq!(
            d.max_abs,
            f64::from(f32::from_bits(6f32.to_bits() ^ 1)) - 6.0
        );
        let d = compare(&first, &half).unwrap();
        assert_eq!((d.elements, d.max_abs, d.was, d.now), (2, 0.5, 2.0, 2.5));
        assert_eq!(d.max_rel, 0.25);
        // A NaN is the worst there is.
        let mut nan = first.clone();
        nan.bytes[0..4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(compare(&first, &nan).unwrap().max_abs, f64::INFINITY);
    }

    #[test]
    fn positions_in_a_batch_name_the_product() {
        let c = ResultC::f64(2, 4, (0..24).map(f64::from));
        assert_eq!(
            position(&c, 19),
            Position {
                product: 2,
                row: 0,
                col: 3
            }
        );
    }
}
